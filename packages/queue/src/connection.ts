// Redis connections. Producers fail fast when Redis is away (no offline queue, a bounded retry),
// workers wait forever (BullMQ requires maxRetriesPerRequest: null for blocking commands). A password the
// server does not expect fails the connection: ioredis would only warn and carry on unauthenticated.
// The one factory: a redis:// URL is one server, redis+sentinel:// asks the sentinels for the master (and follows
// a failover), redis+cluster:// is an ioredis Cluster (BullMQ supports it; our keys carry hash tags, keys.ts).
// A Cluster is handed around typed as Redis: the commands we use are the same; duplicate() is not (duplicateRedis).
import { parseRedisTarget, RdcError, type RedisTarget } from '@rediacc/core';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { asRedisError, isPasswordNotNeeded, passwordNotNeeded, redisAddress } from './connection-errors.js';

export type ConnectionRole = 'producer' | 'worker';

/** The last error each connection reported: why its commands failed ("max retries" alone says nothing). */
const lastErrors = new WeakMap<Redis, Error>();

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
  const target = parseRedisTarget(url);
  const redis = connect(target, options);
  if (target.kind === 'url') refuseUnneededPassword(redis, url);
  // Errors surface on commands; an unhandled 'error' event would crash the process.
  redis.on('error', (error: Error) => lastErrors.set(redis, error));
  return redis;
}

function connect(target: RedisTarget, options: RedisOptions): Redis {
  if (target.kind === 'url') return new Redis(target.url, options);
  const login = {
    ...(target.username !== undefined && { username: target.username }),
    ...(target.password !== undefined && { password: target.password }),
  };
  if (target.kind === 'sentinel') {
    return new Redis({
      ...options,
      ...login,
      sentinels: target.sentinels,
      name: target.name,
      ...(target.sentinelPassword !== undefined && { sentinelPassword: target.sentinelPassword }),
      // A failover: the old master answers READONLY once demoted; reconnect to the new one.
      reconnectOnError: (error) => /READONLY/.test(error.message),
    });
  }
  const { retryStrategy, enableOfflineQueue, ...nodeOptions } = options;
  const cluster = new Cluster(target.nodes, {
    redisOptions: { ...nodeOptions, ...login },
    ...(enableOfflineQueue !== undefined && { enableOfflineQueue }),
    ...(retryStrategy && { clusterRetryStrategy: (times: number) => retryStrategy(times) ?? null }),
    enableReadyCheck: true,
  });
  return cluster as unknown as Redis;
}

/** The servers behind a connection: itself, or every node (masters and replicas) of a Cluster. */
export function everyNode(redis: Redis): Redis[] {
  return redis.isCluster ? (redis as unknown as Cluster).nodes('all') : [redis];
}

/**
 * A new connection like `redis` with `override` options: Redis.duplicate(options) on one server or Sentinel; a
 * Cluster's duplicate takes (startup nodes, cluster options) and its node options sit in redisOptions.
 */
export function duplicateRedis(redis: Redis, override: Partial<RedisOptions> = {}): Redis {
  if (!redis.isCluster) return redis.duplicate(override);
  const cluster = redis as unknown as Cluster;
  const duplicate = cluster.duplicate(undefined, {
    redisOptions: { ...cluster.options.redisOptions, ...override },
  });
  duplicate.on('error', (error: Error) => lastErrors.set(duplicate as unknown as Redis, error));
  return duplicate as unknown as Redis;
}

/** The last error `redis` reported about its connection, if any. */
export function lastConnectionError(redis: Redis): Error | undefined {
  return lastErrors.get(redis);
}

/**
 * ioredis authenticates each new connection itself and, when the server has no password, prints a warning and
 * goes on. Its AUTH reply is turned into RDC_REDIS_AUTH instead, which ioredis treats as fatal: queued commands
 * fail with it. (The only hook is the instance's `auth`, which ioredis calls with a callback.)
 */
function refuseUnneededPassword(redis: Redis, url: string): void {
  const auth = redis.auth.bind(redis) as (...args: unknown[]) => Promise<unknown>;
  const wrapped = (...args: unknown[]): Promise<unknown> => {
    const callback = args.at(-1);
    if (typeof callback !== 'function') return auth(...args);
    return auth(...args.slice(0, -1), (error: Error | null, result: unknown) =>
      callback(error && isPasswordNotNeeded(error) ? passwordNotNeeded(url) : error, result),
    );
  };
  Object.defineProperty(redis, 'auth', { value: wrapped, configurable: true, writable: true });
}

/**
 * Resolves once the connection is ready, or fails with RDC_REDIS_UNAVAILABLE naming host and port (after
 * `timeoutMs`), or with RDC_REDIS_AUTH as soon as Redis refuses the login.
 */
export async function waitReady(redis: Redis, url: string, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    const fail = (error: unknown) => {
      cleanup();
      reject(error);
    };
    const onError = (err: Error) => {
      lastError = err;
      const mapped = asRedisError(err, url);
      if (mapped instanceof RdcError && mapped.code === 'RDC_REDIS_AUTH') fail(mapped);
    };
    const timer = setTimeout(() => {
      const mapped = lastError && asRedisError(lastError, url);
      fail(
        mapped instanceof RdcError
          ? mapped
          : new RdcError(
              'RDC_REDIS_UNAVAILABLE',
              `cannot reach Redis at ${redisAddress(url)} (no answer within ${timeoutMs} ms): check that redis-server runs there and that the Redis URL is right`,
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
