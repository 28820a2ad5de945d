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
  /** The bridges' last sample of the machine (a field the machine did not report is null); null before any. */
  sample: {
    at: string;
    load1: number | null;
    memUsedBytes: number | null;
    memTotalBytes: number | null;
    diskFreeBytes: number | null;
  } | null;
  /** The last SSH failure a bridge saw (kept after recovery), and since when the machine is unreachable. */
  lastError: { at: string; code: string; message: string } | null;
  unreachableSince: string | null;
}

/** One alert message (firing or resolved) of a visible team, as `rediacc alert list` shows it. */
export interface AlertOverview {
  id: string;
  state: 'firing' | 'resolved';
  team: string;
  kind: string;
  subject: string;
  summary: string;
  since: string;
  at: string;
}

export interface Overview {
  at: string;
  teams: TeamOverview[];
  bridges: BridgeHeartbeat[];
  machines: MachineOverview[];
  /** The newest alert messages of the visible teams, newest first. */
  alerts: AlertOverview[];
  /** Where the visible teams' alerts go: URLs redacted (scheme://host/…/last 4), for every role. */
  webhooks: { id: string; team: string | null; url: string; signed: boolean }[];
}

/** Alert messages the overview carries. */
const RECENT_ALERTS = 10;

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
  const [perTeam, bridges, machines, alerts, webhooks] = await Promise.all([
    Promise.all(teams.map((team) => teamOverview(deps, team, active.get(team) ?? [], now))),
    // A fleet token sees every bridge; a team's view names only that team's slots.
    single !== undefined || principal.team !== undefined
      ? deps.client.bridges.list({ team: single ?? principal.team })
      : deps.client.bridges.list(),
    Promise.all(teams.map((team) => machinesOf(deps, team, active.get(team) ?? []))),
    recentAlerts(deps, teams),
    webhooksOf(deps, teams),
  ]);
  return { at: new Date(now).toISOString(), teams: perTeam, bridges, machines: machines.flat(), alerts, webhooks };
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

/** The newest alert messages of `teams` (each team's log read for as many, then merged). */
async function recentAlerts(deps: OverviewDeps, teams: readonly string[]): Promise<AlertOverview[]> {
  const logs = await Promise.all(teams.map((team) => deps.client.alerts.list({ team, limit: RECENT_ALERTS })));
  const iso = (ms: number) => new Date(ms).toISOString();
  return logs
    .flat()
    .sort((a, b) => b.at - a.at)
    .slice(0, RECENT_ALERTS)
    .map(({ id, state, team, kind, subject, summary, since, at }) => ({
      id,
      state,
      team,
      kind,
      subject,
      summary,
      since: iso(since),
      at: iso(at),
    }));
}

async function machinesOf(deps: OverviewDeps, team: string, active: readonly ActiveTask[]): Promise<MachineOverview[]> {
  const [records, statuses] = await Promise.all([deps.client.machines.list(team), deps.client.machines.status(team)]);
  const iso = (ms: number) => new Date(ms).toISOString();
  return records.map((machine) => {
    const status = statuses.get(machine.name);
    return {
      team,
      name: machine.name,
      host: machine.host,
      running: active.filter((task) => task.machine === machine.name).length,
      sample:
        status?.sampledAt != null
          ? {
              at: iso(status.sampledAt),
              load1: status.load1,
              memUsedBytes: status.memUsedBytes,
              memTotalBytes: status.memTotalBytes,
              diskFreeBytes: status.diskFreeBytes,
            }
          : null,
      lastError: status?.lastError ? { ...status.lastError, at: iso(status.lastError.at) } : null,
      unreachableSince: status?.unreachableSince != null ? iso(status.unreachableSince) : null,
    };
  });
}

/** The webhooks of `teams` (a webhook of every team once), as the SDK lists them: never a URL beyond its hint. */
async function webhooksOf(deps: OverviewDeps, teams: readonly string[]): Promise<Overview['webhooks']> {
  const lists = await Promise.all(teams.map((team) => deps.client.alerts.listWebhooks(team)));
  const byId = new Map(lists.flat().map(({ id, team, url, signed }) => [id, { id, team, url, signed }]));
  return [...byId.values()];
}
