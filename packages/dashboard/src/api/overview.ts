// GET /api/overview, also pushed on the event stream: per team the pending/assigned/processing counts of each
// priority, totals, the oldest pending age per priority and the last 15 minutes' throughput; the live bridges; the
// machines with the tasks running on them. Cheap at any backlog: BullMQ's counters and metrics, the oldest
// waiting job per priority, the active jobs (bounded by the bridges' slots) — never a scan of jobs.
import type { DashboardPrincipal } from '@rediacc/core';
import type { BridgeHeartbeat, RediaccClient } from '@rediacc/producer';
import {
  type ActiveTask,
  activeTasks,
  oldestPendingByPriority,
  recentThroughput,
  type TeamQueues,
  type ThroughputBucket,
} from '@rediacc/queue';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { principalOf, teamsOf } from './access.js';

const PRIORITIES = ['1', '2', '3', '4', '5'] as const;
type PriorityKey = (typeof PRIORITIES)[number];

export interface TeamOverview {
  team: string;
  byPriority: Record<PriorityKey, { pending: number; assigned: number; processing: number }>;
  totals: {
    pending: number;
    assigned: number;
    processing: number;
    completed: number;
    failed: number;
    cancelled: number;
  };
  oldestPendingAgeSeconds: Record<PriorityKey, number | null>;
  throughput: ThroughputBucket[];
}

export interface MachineOverview {
  team: string;
  name: string;
  host: string;
  running: number;
  /** Filled by the bridges' machine sampling once it exists. */
  sample: { at: string; load1: number; memUsedBytes: number; memTotalBytes: number; diskFreeBytes: number } | null;
  lastError: { at: string; message: string } | null;
}

export interface Overview {
  at: string;
  teams: TeamOverview[];
  bridges: BridgeHeartbeat[];
  machines: MachineOverview[];
}

export interface OverviewDeps {
  client: RediaccClient;
  redis: Redis;
  queues: TeamQueues;
}

const overviewQuerySchema = z.object({ team: z.string().optional() });

export function registerOverviewRoute(app: FastifyInstance, deps: OverviewDeps): void {
  app.get('/api/overview', async (request) => {
    const { team } = overviewQuerySchema.parse(request.query);
    const principal = principalOf(request);
    return buildOverview(deps, principal, await teamsOf(deps.client, principal, team || undefined));
  });
}

/** The overview of `teams` (all visible to `principal`). */
export async function buildOverview(
  deps: OverviewDeps,
  principal: DashboardPrincipal,
  teams: readonly string[],
): Promise<Overview> {
  const now = Date.now();
  const single = teams.length === 1 ? teams[0] : undefined;
  const active = new Map(
    await Promise.all(teams.map(async (team) => [team, await activeTasks(deps.redis, team)] as const)),
  );
  const [perTeam, bridges, machines] = await Promise.all([
    Promise.all(teams.map((team) => teamOverview(deps, team, active.get(team) ?? [], now))),
    // A fleet token sees every bridge; a team's view names only that team's slots.
    single !== undefined || principal.team !== undefined
      ? deps.client.bridges.list({ team: single ?? principal.team })
      : deps.client.bridges.list(),
    Promise.all(teams.map((team) => machinesOf(deps, team, active.get(team) ?? []))),
  ]);
  return { at: new Date(now).toISOString(), teams: perTeam, bridges, machines: machines.flat() };
}

async function teamOverview(
  deps: OverviewDeps,
  team: string,
  active: readonly ActiveTask[],
  now: number,
): Promise<TeamOverview> {
  const [counts, oldest, throughput] = await Promise.all([
    deps.client.tasks.counts(team),
    oldestPendingByPriority(deps.redis, team),
    recentThroughput(deps.queues, team, now),
  ]);
  const byPriority = {} as TeamOverview['byPriority'];
  const oldestPendingAgeSeconds = {} as TeamOverview['oldestPendingAgeSeconds'];
  let assigned = 0;
  let processing = 0;
  for (const key of PRIORITIES) {
    const priority = Number(key) as 1 | 2 | 3 | 4 | 5;
    const atPriority = active.filter((task) => task.priority === priority);
    const running = {
      assigned: atPriority.filter((task) => task.phase === 'ASSIGNED').length,
      processing: atPriority.filter((task) => task.phase === 'PROCESSING').length,
    };
    assigned += running.assigned;
    processing += running.processing;
    byPriority[key] = { pending: counts.pendingByPriority[priority], ...running };
    const since = oldest.get(priority);
    oldestPendingAgeSeconds[key] = since === undefined ? null : Math.max(0, Math.round((now - since) / 1000));
  }
  const { pending, completed, failed, cancelled } = counts;
  return {
    team,
    byPriority,
    totals: { pending, assigned, processing, completed, failed, cancelled },
    oldestPendingAgeSeconds,
    throughput,
  };
}

async function machinesOf(deps: OverviewDeps, team: string, active: readonly ActiveTask[]): Promise<MachineOverview[]> {
  const records = await deps.client.machines.list(team);
  return records.map((machine) => ({
    team,
    name: machine.name,
    host: machine.host,
    running: active.filter((task) => task.machine === machine.name).length,
    sample: null,
    lastError: null,
  }));
}
