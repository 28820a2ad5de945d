// createClient: the SDK's entry point. Owns its Redis connection (unless given one) and every queue
// it opens; close() releases them all and may be called twice.
import { loadConfig } from '@rediacc/core';
import { asRedisError, createRedis, TeamQueues } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { RegistryCache } from './machine-cache.js';
import { Machines, Teams } from './registry-api.js';
import { TaskWaiter } from './task-waiter.js';
import { Tasks } from './tasks.js';
import { Vault } from './vault-api.js';

export interface ClientOptions {
  /** A Redis URL (default: REDIS_URL or redis://127.0.0.1:6379) or an ioredis connection the caller owns. */
  redis?: string | Redis;
}

export interface RediaccClient {
  tasks: Tasks;
  teams: Teams;
  machines: Machines;
  /** A team's secrets, sealed to its public key on this side: `vault.set(team, 'API_TOKEN', value)`. */
  vault: Vault;
  /** The underlying connection, for health checks. */
  redis: Redis;
  close(): Promise<void>;
}

export function createClient(options: ClientOptions = {}): RediaccClient {
  const url = typeof options.redis === 'string' ? options.redis : loadConfig().redisUrl;
  const owned = typeof options.redis !== 'object';
  const redis = typeof options.redis === 'object' ? options.redis : createRedis(url, 'producer');
  const queues = new TeamQueues(redis);
  const waiter = new TaskWaiter(redis);
  let closing: Promise<void> | undefined;
  return {
    tasks: withRedisErrors(new Tasks(redis, queues, new RegistryCache(redis), waiter), url),
    teams: withRedisErrors(new Teams(redis), url),
    machines: withRedisErrors(new Machines(redis), url),
    vault: withRedisErrors(new Vault(redis), url),
    redis,
    close() {
      closing ??= (async () => {
        await Promise.allSettled([waiter.close(), queues.close()]);
        if (owned) await redis.quit().catch(() => redis.disconnect());
      })();
      return closing;
    },
  };
}

/** Every async method of `target` reports an unreachable Redis as RDC_REDIS_UNAVAILABLE, naming the URL. */
function withRedisErrors<T extends object>(target: T, url: string): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = value.apply(obj, args);
        return result instanceof Promise
          ? result.catch((error: unknown) => {
              throw asRedisError(error, url);
            })
          : result;
      };
    },
  });
}
