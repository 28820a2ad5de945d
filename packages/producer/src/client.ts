// createClient: the SDK's entry point. Owns its Redis connection (unless given one) and every queue
// it opens; close() releases them all and may be called twice.
import { actorSchema, loadConfig, parseInput, type RedisTopologyOptions, redisTargetFromOptions } from '@rediacc/core';
import { asAccessDenied, asRedisError, createRedis, lastConnectionError, TeamQueues } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { Acl } from './acl-api.js';
import { Alerts } from './alerts-api.js';
import { Archive } from './archive-api.js';
import { Audit } from './audit-api.js';
import { AuditTrail } from './audit-trail.js';
import { Batches } from './batches-api.js';
import { Bridges } from './bridges-api.js';
import { DashboardTokens } from './dashboard-tokens-api.js';
import { RegistryCache } from './machine-cache.js';
import { Pools } from './pool-api.js';
import { Machines, Teams } from './registry-api.js';
import { Schedules } from './schedules-api.js';
import { TaskWaiter } from './task-waiter.js';
import { Tasks } from './tasks.js';
import { Vault } from './vault-api.js';

export interface ClientOptions {
  /**
   * A Redis URL (redis://, or redis+sentinel:// / redis+cluster://), a topology (`{ url }`, `{ sentinels:
   * 'host:port,…', sentinelName }`, `{ clusterNodes: 'host:port,…' }`) or an ioredis connection (Redis or
   * Cluster) the caller owns. Default: REDIS_URL / REDIS_SENTINELS / REDIS_CLUSTER_NODES, else redis://127.0.0.1:6379.
   */
  redis?: string | Redis | RedisTopologyOptions;
  /** Who the audit log names for this client's operations (default: RDC_ACTOR, else the Redis ACL user). */
  actor?: string;
}

export interface RediaccClient {
  tasks: Tasks;
  /** Fan-out batches: one command on many machines (by name or tags), `create`, `inspect`, `watch`, `cancel`. */
  batches: Batches;
  /** Pool tasks: one command on the least busy machine a selector matches (`pools.create`, `pools.choose`). */
  pools: Pools;
  teams: Teams;
  machines: Machines;
  /** Which bridges serve a team now (from their heartbeats). */
  bridges: Bridges;
  /** A team's secrets, sealed to its public key on this side: `vault.set(team, 'API_TOKEN', value)`. */
  vault: Vault;
  /** The audit log: `audit.read({ team, sinceMs, limit })`, `audit.cuts(teams)`, `audit.follow(read)`. */
  audit: Audit;
  /** Redis ACL users per team and role: `acl.apply({ teams })` (needs an admin connection), `acl.show()`. */
  acl: Acl;
  /** Webhook alerts: webhooks and rules (add, list, remove) and the recent alerts (`alerts.list`). */
  alerts: Alerts;
  /** Finished tasks past the live queue: `archive.export(team, { sinceMs })`, `archive.setRetention(team, …)`. */
  archive: Archive;
  /** Schedules: a task run on a cron pattern or interval (add, list, pause, resume, remove). */
  schedules: Schedules;
  /** The tokens that open the web console: create, list, revoke. */
  dashboardTokens: DashboardTokens;
  /** The underlying connection, for health checks. */
  redis: Redis;
  close(): Promise<void>;
}

/** What each SDK method does, in the words an access-denied error uses ("may not create tasks in team B"). */
const ACTIONS: Record<string, string> = {
  'tasks.create': 'create tasks',
  'tasks.createMany': 'create tasks',
  'tasks.createFromLines': 'create tasks',
  'tasks.cancel': 'cancel tasks',
  'tasks.retry': 'retry tasks',
  'batches.create': 'create tasks',
  'batches.cancel': 'cancel tasks',
  'pools.create': 'create tasks',
  'teams.create': 'create teams',
  'machines.add': 'add machines',
  'machines.remove': 'remove machines',
  'machines.set': 'change machines',
  'machines.trust': 'change machines',
  'machines.tag': 'change machines',
  'machines.untag': 'change machines',
  'vault.set': 'store secrets',
  'vault.delete': 'delete secrets',
  'audit.read': 'read the audit log',
  'audit.cuts': 'read the audit log',
  'audit.follow': 'read the audit log',
  'acl.apply': 'change Redis ACL users (acl apply needs an admin REDIS_URL)',
  'acl.show': 'read Redis ACL users',
  'alerts.addWebhook': 'add webhooks (an admin of the team, or the fleet admin for a webhook of every team)',
  'alerts.removeWebhook': 'remove webhooks',
  'alerts.addRule': 'add alert rules (an admin of the team)',
  'alerts.removeRule': 'remove alert rules',
  'alerts.list': 'read alerts',
  'archive.setRetention': 'set the retention (an admin of the team)',
  'archive.export': 'read finished tasks',
  'schedules.add': 'add schedules',
  'schedules.pause': 'change schedules',
  'schedules.resume': 'change schedules',
  'schedules.remove': 'remove schedules',
  'dashboardTokens.create': 'create dashboard tokens',
  'dashboardTokens.revoke': 'revoke dashboard tokens',
  'dashboardTokens.list': 'read dashboard tokens',
};

export function createClient(options: ClientOptions = {}): RediaccClient {
  const given = options.redis;
  const connection = typeof given === 'object' && !isTopology(given) ? given : undefined;
  const url =
    typeof given === 'string'
      ? given
      : given !== undefined && isTopology(given)
        ? redisTargetFromOptions(given)
        : loadConfig().redisUrl;
  const configuredActor = options.actor ?? (process.env.RDC_ACTOR || undefined);
  const actor = configuredActor === undefined ? undefined : parseInput(actorSchema, configuredActor, 'actor');
  const owned = connection === undefined;
  const redis = connection ?? createRedis(url, 'producer');
  const queues = new TeamQueues(redis);
  const waiter = new TaskWaiter(redis);
  const audit = new AuditTrail(redis, actor);
  const registry = new RegistryCache(redis);
  const schedules = new Schedules(redis, registry, audit);
  let closing: Promise<void> | undefined;
  const errors = { url, redis };
  const tasks = new Tasks(redis, queues, registry, waiter, audit);
  const creating = () => ({ redis, queues, registry, audit });
  return {
    tasks: withRedisErrors(tasks, 'tasks', errors),
    batches: withRedisErrors(
      new Batches(redis, queues, creating, (ids, options) => tasks.cancel(ids, options)),
      'batches',
      errors,
    ),
    pools: withRedisErrors(new Pools(redis, creating), 'pools', errors),
    teams: withRedisErrors(new Teams(redis, audit), 'teams', errors),
    machines: withRedisErrors(new Machines(redis, audit), 'machines', errors),
    bridges: withRedisErrors(new Bridges(redis), 'bridges', errors),
    vault: withRedisErrors(new Vault(redis, audit), 'vault', errors),
    audit: withRedisErrors(new Audit(redis), 'audit', errors),
    acl: withRedisErrors(new Acl(redis, url, actor), 'acl', errors),
    alerts: withRedisErrors(new Alerts(redis, audit), 'alerts', errors),
    dashboardTokens: withRedisErrors(new DashboardTokens(redis, actor), 'dashboardTokens', errors),
    schedules: withRedisErrors(schedules, 'schedules', errors),
    archive: withRedisErrors(new Archive(redis, queues, audit), 'archive', errors),
    redis,
    close() {
      closing ??= (async () => {
        await Promise.allSettled([waiter.close(), queues.close(), schedules.close()]);
        if (owned) await redis.quit().catch(() => redis.disconnect());
      })();
      return closing;
    },
  };
}

/** A topology object rather than a connection (connections have a status). */
function isTopology(value: Redis | RedisTopologyOptions): value is RedisTopologyOptions {
  return 'url' in value || 'sentinels' in value || 'clusterNodes' in value;
}

/**
 * Every async method of `target` reports an unreachable Redis as RDC_REDIS_UNAVAILABLE (naming host and port), a
 * refused login as RDC_REDIS_AUTH, and an ACL refusal as RDC_ACCESS_DENIED (naming the user, its team and role,
 * and what it tried).
 */
function withRedisErrors<T extends object>(target: T, service: string, context: { url: string; redis: Redis }): T {
  const mapError = async (error: unknown, method: string): Promise<unknown> => {
    const mapped = asRedisError(error, context.url, lastConnectionError(context.redis));
    return asAccessDenied(mapped, context.redis, { action: ACTIONS[`${service}.${method}`] ?? `read ${service}` });
  };
  // Each method wrapped once, not on every access (a create one at a time would make a closure per task).
  const wrapped = new Map<string | symbol, { of: unknown; call: (...args: unknown[]) => unknown }>();
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      const known = wrapped.get(prop);
      if (known?.of === value) return known.call;
      const method = String(prop);
      const call = (...args: unknown[]) => {
        const result = value.apply(obj, args);
        if (result instanceof Promise) {
          return result.catch(async (error: unknown) => {
            throw await mapError(error, method);
          });
        }
        if (result && typeof result === 'object' && Symbol.asyncIterator in result) {
          return mapIterator(result as AsyncGenerator<unknown, void, undefined>, (error) => mapError(error, method));
        }
        return result;
      };
      wrapped.set(prop, { of: value, call });
      return call;
    },
  });
}

async function* mapIterator<T>(
  source: AsyncGenerator<T, void, undefined>,
  mapError: (error: unknown) => Promise<unknown>,
): AsyncGenerator<T, void, undefined> {
  try {
    yield* source;
  } catch (error) {
    throw await mapError(error);
  }
}
