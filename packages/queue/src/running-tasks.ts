// What runs now, for the console's overview: a team's active tasks by priority and phase (ASSIGNED, not yet
// started on its machine, or PROCESSING), and how many tasks hold each machine's slots. Cheap at any backlog:
// active jobs are bounded by the bridges' slots, and each read is one pipelined round trip.
import { LANES, type Lane } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { LANE_QUEUES, registryKeys, taskKey, teamPrefix } from './keys.js';

export interface ActiveCount {
  assigned: number;
  processing: number;
}

/** Active jobs read per lane at most: far above any fleet's slots, a guard against a runaway list. */
const MAX_ACTIVE = 10_000;

/** priority (1–5) → active tasks of `team` at that priority, ASSIGNED and PROCESSING. */
export async function activeByPriority(redis: Redis, team: string): Promise<Map<number, ActiveCount>> {
  const lists = redis.pipeline();
  for (const lane of LANES) lists.lrange(`${teamPrefix(team)}:${LANE_QUEUES[lane]}:active`, 0, MAX_ACTIVE - 1);
  const ids = ((await lists.exec()) ?? []).map(([error, value], i): { lane: Lane; ids: string[] } => {
    if (error) throw error;
    return { lane: LANES[i]!, ids: value as string[] };
  });
  const jobs = ids.flatMap(({ lane, ids }) => ids.map((id) => ({ lane, id })));
  const out = new Map<number, ActiveCount>();
  if (jobs.length === 0) return out;
  const fields = redis.pipeline();
  for (const { lane, id } of jobs) fields.hmget(taskKey(team, lane, id), 'priority', 'progress');
  for (const [error, value] of (await fields.exec()) ?? []) {
    if (error) throw error;
    const [priority, progress] = value as [string | null, string | null];
    const count = out.get(Number(priority)) ?? { assigned: 0, processing: 0 };
    if (phaseOf(progress) === 'PROCESSING') count.processing += 1;
    else count.assigned += 1;
    out.set(Number(priority), count);
  }
  return out;
}

/** The phase the bridge recorded in a job's progress JSON (ASSIGNED until it says PROCESSING). */
function phaseOf(progress: string | null): unknown {
  try {
    return progress ? (JSON.parse(progress) as { phase?: unknown }).phase : undefined;
  } catch {
    return undefined;
  }
}

/** machine → how many tasks hold one of its fleet-wide slots now (live leases only). */
export async function slotsHeld(redis: Redis, team: string, machines: readonly string[]): Promise<Map<string, number>> {
  if (machines.length === 0) return new Map();
  const [seconds, micros] = await redis.time();
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const counts = redis.pipeline();
  for (const machine of machines) counts.zcount(registryKeys.machineSlots(team, machine), `(${now}`, '+inf');
  const replies = (await counts.exec()) ?? [];
  return new Map(
    machines.map((machine, i) => {
      const [error, value] = replies[i] ?? [null, 0];
      if (error) throw error;
      return [machine, Number(value)];
    }),
  );
}
