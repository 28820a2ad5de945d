// GET /metrics: queue-level gauges in the Prometheus text format, computed on each scrape from counts Redis keeps
// (never a scan), for the teams the token may see. Behind the auth hook like every route: scrape with
// `Authorization: Bearer <dashboard token>`. Task-level counters and histograms live on the bridges' /metrics.
import type { DashboardPrincipal } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { oldestPendingByPriority } from '@rediacc/queue';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { Gauge, Registry } from 'prom-client';

const PRIORITIES = [1, 2, 3, 4, 5] as const;
/** Statuses whose count is not kept per priority carry priority="any". */
const ANY = 'any';

export function registerMetrics(app: FastifyInstance, client: RediaccClient, redis: Redis): void {
  app.get('/metrics', async (request, reply) => {
    const principal: DashboardPrincipal | null = request.principal;
    if (!principal) throw new Error('the auth hook let an unauthenticated request through');
    const registry = await queueMetrics(client, redis, principal.team);
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

async function queueMetrics(client: RediaccClient, redis: Redis, onlyTeam: string | undefined): Promise<Registry> {
  const teams = (await client.teams.list()).map((t) => t.name).filter((t) => onlyTeam === undefined || t === onlyTeam);
  const now = Date.now();
  const perTeam = await Promise.all(
    teams.map(async (team) => {
      const [counts, oldest] = await Promise.all([client.tasks.counts(team), oldestPendingByPriority(redis, team)]);
      return { team, counts, oldest };
    }),
  );
  const registry = new Registry();
  const tasks = new Gauge({
    name: 'rediacc_queue_tasks',
    help: 'Tasks in the queue by team, priority and status: pending (ready to claim) per priority; delayed (backing off before a retry), active, completed, failed and cancelled with priority="any".',
    labelNames: ['team', 'priority', 'status'] as const,
    registers: [registry],
  });
  const age = new Gauge({
    name: 'rediacc_queue_oldest_pending_age_seconds',
    help: 'Age of the oldest task waiting to be claimed, by team and priority (absent when none waits).',
    labelNames: ['team', 'priority'] as const,
    registers: [registry],
  });
  for (const { team, counts, oldest } of perTeam) {
    let ready = 0;
    for (const priority of PRIORITIES) {
      ready += counts.pendingByPriority[priority];
      tasks.set({ team, priority: String(priority), status: 'pending' }, counts.pendingByPriority[priority]);
    }
    tasks.set({ team, priority: ANY, status: 'delayed' }, Math.max(0, counts.pending - ready));
    for (const status of ['active', 'completed', 'failed', 'cancelled'] as const) {
      tasks.set({ team, priority: ANY, status }, counts[status]);
    }
    for (const [priority, createdAt] of oldest) {
      age.set({ team, priority: String(priority) }, Math.max(0, (now - createdAt) / 1000));
    }
  }
  return registry;
}
