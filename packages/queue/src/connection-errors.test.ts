import { RdcError } from '@rediacc/core';
import { describe, expect, it } from 'vitest';
import { asRedisError, redisAddress } from './connection-errors.js';

const URL_WITH_PASSWORD = 'redis://:s3cret@10.0.0.5:6380';

function mapped(error: unknown, cause?: Error): RdcError {
  const result = asRedisError(error, URL_WITH_PASSWORD, cause);
  expect(result).toBeInstanceOf(RdcError);
  expect((result as RdcError).message).not.toContain('s3cret');
  return result as RdcError;
}

describe('asRedisError', () => {
  it('names host, port and the socket error of an unreachable Redis, not ioredis options', () => {
    const retries = new Error(
      'Reached the max retries per request limit (which is 2). Refer to "maxRetriesPerRequest" option for details.',
    );
    const error = mapped(retries, new Error('connect ECONNREFUSED 10.0.0.5:6380'));
    expect(error.code).toBe('RDC_REDIS_UNAVAILABLE');
    expect(error.message).toMatch(/^cannot reach Redis at 10\.0\.0\.5:6380 \(ECONNREFUSED\): check that redis-server/);
    expect(error.message).not.toMatch(/maxRetriesPerRequest|max retries/);
    expect(mapped(retries).message).toContain('(connection lost)');
  });

  it('maps NOAUTH, WRONGPASS and an unexpected password to RDC_REDIS_AUTH', () => {
    expect(mapped(new Error('NOAUTH Authentication required.')).message).toContain('gives none (NOAUTH)');
    expect(mapped(new Error('WRONGPASS invalid username-password pair or user is disabled.')).code).toBe(
      'RDC_REDIS_AUTH',
    );
    const noPassword = new Error('ERR AUTH <password> called without any password configured for the default user.');
    expect(mapped(noPassword).message).toContain('needs no password');
    // A command that failed because the login did tells why through the connection's last error.
    const closed = mapped(new Error('Connection is closed.'), new Error('WRONGPASS invalid password'));
    expect(closed.code).toBe('RDC_REDIS_AUTH');
  });

  it('passes other errors through, even after an earlier connection error', () => {
    const other = new Error('NOPERM this user has no permissions to run the command');
    expect(asRedisError(other, URL_WITH_PASSWORD, new Error('connect ECONNREFUSED'))).toBe(other);
  });
});

describe('redisAddress', () => {
  it('gives host and port, 6379 when the URL names no port, never user or password', () => {
    expect(redisAddress('redis://admin:pw@redis.internal')).toBe('redis.internal:6379');
    expect(redisAddress('rediss://[::1]:7000/2')).toBe('[::1]:7000');
  });
});
