// createDashboard: the web console as a fastify instance, not yet listening, so tests drive it with app.inject
// and `rediacc dashboard start` calls listen. It owns its Redis connection (unless given one) and closes it with
// the app: app.close() releases everything and may be called twice.
import { createRedis } from '@rediacc/queue';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { registerHealth } from './health.js';

export interface DashboardOptions {
  /** The Redis to read (a URL, or a connection the caller owns and closes). */
  redis: string | Redis;
  /** fastify's logger option; off by default (tests), `rediacc dashboard start` passes its pino settings. */
  logger?: boolean | { level: string };
}

export async function createDashboard(options: DashboardOptions): Promise<FastifyInstance> {
  const owned = typeof options.redis === 'string';
  const redis = typeof options.redis === 'string' ? createRedis(options.redis, 'producer') : options.redis;
  const app = Fastify({ logger: options.logger ?? false });
  app.addHook('onClose', async () => {
    if (owned) await redis.quit().catch(() => redis.disconnect());
  });
  registerHealth(app, redis);
  await app.ready();
  return app;
}
