// createDashboard: the web console as a fastify instance, not yet listening, so tests drive it with app.inject
// and `rediacc dashboard start` calls listen. It owns its Redis connection (unless given one) and closes it with
// the app: app.close() releases everything and may be called twice. With `alerting`, it also runs the alert engine
// (alerting.ts) on a worker connection of its own, closed with the app.
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import { createLogger, isRdcError, type Logger } from '@rediacc/core';
import { createClient } from '@rediacc/producer';
import { asRedisError, createRedis } from '@rediacc/queue';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { type DashboardAlertingOptions, startDashboardAlerting } from './alerting.js';
import { registerConsoleApi, statusOf } from './api/index.js';
import { registerAuth } from './auth.js';
import { registerBoard } from './board.js';
import { registerConsole } from './console-pages.js';
import { registerHealth } from './health.js';
import { registerHome } from './home.js';
import { registerLogin } from './login.js';
import type { LoginLimitOptions } from './login-limit.js';
import { registerMetrics } from './metrics.js';
import { registerSecurityHeaders } from './security-headers.js';

export interface DashboardOptions {
  /** The Redis to read (a URL, or a connection the caller owns and closes). */
  redis: string | Redis;
  /** Where requests and failures are logged (createLogger's pino logger, with its redaction); none by default. */
  logger?: FastifyBaseLogger;
  /** Refused logins allowed per client address and window (default 10 per minute). */
  loginLimit?: LoginLimitOptions;
  /** Run the alert engine for every team too (what `dashboard start` and `rediacc up` do); off by default. */
  alerting?: DashboardAlertingOptions;
}

export async function createDashboard(options: DashboardOptions): Promise<FastifyInstance> {
  const url = typeof options.redis === 'string' ? options.redis : 'the given connection';
  const owned = typeof options.redis === 'string';
  const redis = typeof options.redis === 'string' ? createRedis(options.redis, 'producer') : options.redis;
  // The SDK client shares the connection and leaves closing it to us.
  const client = createClient({ redis });
  const app: FastifyInstance = Fastify(options.logger ? { loggerInstance: options.logger } : { logger: false });
  app.addHook('onClose', async () => {
    await client.close();
    if (owned) await redis.quit().catch(() => redis.disconnect());
  });
  app.setErrorHandler((error, request, reply) => {
    const mapped = asRedisError(error, url);
    if (isRdcError(mapped)) {
      const status = statusOf(mapped);
      return reply.code(status).send({ error: { code: mapped.code, message: mapped.message, fix: mapped.fix } });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500)
      return reply.code(status).send({ error: { message: (error as Error).message } });
    request.log.error({ err: error }, 'request failed');
    return reply
      .code(500)
      .send({ error: { code: 'RDC_INTERNAL', message: 'the dashboard failed to answer; see its log' } });
  });
  await app.register(cookie);
  await app.register(formbody);
  registerSecurityHeaders(app);
  registerHealth(app, redis);
  registerAuth(app, redis);
  registerLogin(app, redis, options.loginLimit);
  registerHome(app, client);
  await registerConsole(app);
  registerMetrics(app, client, redis);
  registerConsoleApi(app, client, redis);
  await registerBoard(app, redis);
  await addAlerting(app, options, redis);
  await app.ready();
  return app;
}

/** Starts the engine on its own worker connection; one that cannot start is logged, and the console still serves. */
async function addAlerting(app: FastifyInstance, options: DashboardOptions, redis: Redis): Promise<void> {
  const alertingOptions = options.alerting;
  if (!alertingOptions) return;
  const workerRedis =
    typeof options.redis === 'string'
      ? createRedis(options.redis, 'worker')
      : redis.duplicate({ maxRetriesPerRequest: null });
  const logger = (options.logger as Logger | undefined) ?? createLogger({ name: 'dashboard', level: 'silent' });
  const alerting = await startDashboardAlerting(workerRedis, alertingOptions, logger).catch((error: Error) => {
    logger.error({ err: error.message }, 'alerts are off on this dashboard: the alert engine could not start');
    return undefined;
  });
  app.addHook('onClose', async () => {
    await alerting?.close();
    await workerRedis.quit().catch(() => workerRedis.disconnect());
  });
}
