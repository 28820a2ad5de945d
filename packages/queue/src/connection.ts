// Redis connections. Producers fail fast when Redis is away (no offline queue, a bounded retry),
// workers wait forever (BullMQ requires maxRetriesPerRequest: null for blocking commands).
import { RdcError } from '@rediacc/core';
import { Redis, type RedisOptions } from 'ioredis';

export type ConnectionRole = 'producer' | 'worker';

export function createRedis(url: string, role: ConnectionRole, extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra }
      : {
          maxRetriesPerRequest: 2,
          enableOfflineQueue: true,
          connectTimeout: 5_000,
          // Keep reconnecting in the background, but let commands fail after maxRetriesPerRequest.
          retryStrategy: (times) => Math.min(times * 100, 2_000),
          ...extra,
        };
  const redis = new Redis(url, options);
  // Errors surface on commands; an unhandled 'error' event would crash the process.
  redis.on('error', () => {});
  return redis;
}

/** Resolves once the connection is ready, or fails with RDC_REDIS_UNAVAILABLE naming the URL (without password). */
export async function waitReady(redis: Redis, url: string, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (err: Error) => {
      lastError = err;
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new RdcError(
          'RDC_REDIS_UNAVAILABLE',
          `cannot reach Redis at ${safeUrl(url)}${lastError ? ` (${lastError.message})` : ''}`,
        ),
      );
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
    };
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
}

/** The URL with any password masked, for messages and logs. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

/** Maps a low-level connection failure to a clear error; passes other errors through. */
export function asRedisError(error: unknown, url: string): unknown {
  if (error instanceof RdcError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (
    /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|Connection is closed|max retries per request|Stream isn't writeable/i.test(
      message,
    )
  ) {
    return new RdcError('RDC_REDIS_UNAVAILABLE', `cannot reach Redis at ${safeUrl(url)} (${message})`, {
      cause: error,
    });
  }
  return error;
}
