// What a failed Redis connection means, in words a user can act on: nothing answers at host:port (and why:
// ECONNREFUSED, ENOTFOUND, ETIMEDOUT), or Redis refuses the login. Messages name the host and port, never the
// password, and never ioredis internals such as maxRetriesPerRequest.
import { describeRedisTarget, RdcError } from '@rediacc/core';

/**
 * host:port of a Redis URL (6379 when the URL names none), or the sentinels or cluster nodes of the other forms,
 * for messages: no user, no password.
 */
export function redisAddress(url: string): string {
  return describeRedisTarget(url);
}

/** Redis answers AUTH so when its default user has no password (6.0+ and older wording). */
const NO_PASSWORD_NEEDED = /without any password configured|no password is set/i;
const CONNECT_FAILURE = /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ECONNRESET/;
const LOST_CONNECTION = /Connection is closed|max retries per request|Stream isn't writeable/i;

export function passwordNotNeeded(url: string): RdcError {
  return new RdcError('RDC_REDIS_AUTH', needsNoPassword(redisAddress(url)));
}

function needsNoPassword(where: string): string {
  return `Redis at ${where} needs no password, but its URL gives one: remove the password from the URL, or set one on the server (requirepass)`;
}

export function isPasswordNotNeeded(error: Error): boolean {
  return NO_PASSWORD_NEEDED.test(error.message);
}

/**
 * Maps a connection failure to RDC_REDIS_UNAVAILABLE or RDC_REDIS_AUTH; passes other errors through. `cause` is
 * the last error the connection itself reported (the command's own error only says that retries ran out).
 */
export function asRedisError(error: unknown, url: string, cause?: Error): unknown {
  if (error instanceof RdcError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const where = redisAddress(url);
  const auth = authFailure(message, where);
  if (auth) return new RdcError('RDC_REDIS_AUTH', auth, { cause: error });
  if (!CONNECT_FAILURE.test(message) && !LOST_CONNECTION.test(message)) return error;
  // The command only says that the connection failed; the connection's own last error says why.
  if (cause instanceof RdcError) return cause;
  const causeAuth = cause && authFailure(cause.message, where);
  if (causeAuth) return new RdcError('RDC_REDIS_AUTH', causeAuth, { cause: error });
  const reason = CONNECT_FAILURE.exec(message)?.[0] ?? (cause && CONNECT_FAILURE.exec(cause.message)?.[0]);
  return new RdcError(
    'RDC_REDIS_UNAVAILABLE',
    `cannot reach Redis at ${where} (${reason ?? 'connection lost'}): check that redis-server runs there and that the Redis URL is right`,
    { cause: error },
  );
}

function authFailure(message: string, where: string): string | undefined {
  if (/\bNOAUTH\b/.test(message)) return `Redis at ${where} requires a password and the Redis URL gives none (NOAUTH)`;
  if (/\bWRONGPASS\b/.test(message)) {
    return `Redis at ${where} refused the user or password of the Redis URL (WRONGPASS)`;
  }
  if (NO_PASSWORD_NEEDED.test(message)) return needsNoPassword(where);
  return undefined;
}
