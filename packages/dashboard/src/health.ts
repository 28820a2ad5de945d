// The two endpoints a process supervisor polls, open without authentication: /healthz says the process answers,
// /readyz that Redis does too (a PING within a second). Neither says anything about the fleet.
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';

const READY_TIMEOUT_MS = 1_000;

export function registerHealth(app: FastifyInstance, redis: Redis): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (await pings(redis)) return { status: 'ready' };
    return reply.code(503).send({ status: 'unavailable', reason: 'Redis does not answer' });
  });
}

async function pings(redis: Redis): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([redis.ping().then((reply) => reply === 'PONG'), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
