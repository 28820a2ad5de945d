import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { RdcError } from './errors.js';
import { describeRedisTarget, formatRedisTarget, parseRedisTarget, redisTargetFromOptions } from './redis-target.js';

function configError(env: Record<string, string>): RdcError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof RdcError) return error;
    throw error;
  }
  throw new Error('expected RDC_CONFIG_INVALID');
}

describe('Redis topologies from the environment', () => {
  it('builds a Cluster target from REDIS_CLUSTER_NODES with the login of REDIS_USERNAME/REDIS_PASSWORD', () => {
    const config = loadConfig({
      REDIS_CLUSTER_NODES: '127.0.0.1:7000, 127.0.0.1:7001',
      REDIS_USERNAME: 'ops',
      REDIS_PASSWORD: 'p@ss:w/rd',
    });
    expect(config.redisUrlSource).toBe('REDIS_CLUSTER_NODES');
    expect(parseRedisTarget(config.redisUrl)).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
      ],
      username: 'ops',
      password: 'p@ss:w/rd',
    });
    expect(describeRedisTarget(config.redisUrl)).toBe('127.0.0.1:7000,127.0.0.1:7001 (Redis Cluster)');
  });

  it('builds a Sentinel target; the round trip through the string keeps every field', () => {
    const config = loadConfig({
      REDIS_SENTINELS: '10.0.0.1:26379,[::1]:26380',
      REDIS_SENTINEL_NAME: 'rdc-main',
      REDIS_SENTINEL_PASSWORD: 's&cret',
      REDIS_PASSWORD: 'pw',
    });
    const target = parseRedisTarget(config.redisUrl);
    expect(target).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'rdc-main',
      sentinelPassword: 's&cret',
      password: 'pw',
    });
    expect(formatRedisTarget(target)).toBe(config.redisUrl);
    expect(describeRedisTarget(config.redisUrl)).not.toContain('pw');
    expect(describeRedisTarget(config.redisUrl)).not.toContain('cret');
  });

  it('refuses two topologies at once, naming both', () => {
    const error = configError({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: '127.0.0.1:7000' });
    expect(error.code).toBe('RDC_CONFIG_INVALID');
    expect(error.message).toContain('REDIS_URL and REDIS_CLUSTER_NODES');
  });

  it('names the bad host:port entry', () => {
    const error = configError({ REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1,127.0.0.1:7002' });
    expect(error.message).toBe(
      'REDIS_CLUSTER_NODES: entry 2 ("127.0.0.1") is not host:port (for example 127.0.0.1:6379)',
    );
    expect(configError({ REDIS_SENTINELS: 'a:99999', REDIS_SENTINEL_NAME: 'm' }).message).toContain('entry 1');
  });

  it('wants a master name with sentinels, and sentinels with a master name', () => {
    expect(configError({ REDIS_SENTINELS: '127.0.0.1:26379' }).message).toMatch(/^REDIS_SENTINEL_NAME: missing/);
    expect(configError({ REDIS_SENTINEL_NAME: 'm' }).message).toMatch(/^REDIS_SENTINEL_NAME: set, but REDIS_SENTINELS/);
  });

  it('keeps the password of a single server in REDIS_URL', () => {
    expect(configError({ REDIS_URL: 'redis://x:1', REDIS_PASSWORD: 'pw' }).message).toMatch(/^REDIS_PASSWORD: /);
  });

  it('takes the same topologies as SDK options', () => {
    expect(redisTargetFromOptions({ clusterNodes: '127.0.0.1:7000' })).toBe('redis+cluster://127.0.0.1:7000');
    expect(redisTargetFromOptions({ url: 'redis://127.0.0.1:6379' })).toBe('redis://127.0.0.1:6379');
    expect(() => redisTargetFromOptions({ sentinels: '127.0.0.1:1', sentinelName: '' })).toThrow(/REDIS_SENTINEL_NAME/);
  });
});
