// What runs now, for the console's overview and `machine list`: a team's active tasks with their priority, phase (ASSIGNED, not yet
// started on its machine, or PROCESSING) and machine. Cheap at any backlog: active jobs are bounded by the bridges'
// slots, and the read is two pipelined round trips.
import { LANE_QUEUES, LANES, type Lane, taskKey, teamPrefix } from '@rediacc/core';
import type { Redis } from 'ioredis';

export interface ActiveTask {
  priority: number;
  phase: 'ASSIGNED' | 'PROCESSING';
  /** The machine it runs on; undefined when its data does not say (never for a valid task). */
  machine: string | undefined;
}

/** Active jobs read per lane at most: far above any fleet's slots, a guard against a runaway list. */
const MAX_ACTIVE = 10_000;

export async function activeTasks(redis: Redis, team: string): Promise<ActiveTask[]> {
  const lists = redis.pipeline();
  for (const lane of LANES) lists.lrange(`${teamPrefix(team)}:${LANE_QUEUES[lane]}:active`, 0, MAX_ACTIVE - 1);
  const jobs = ((await lists.exec()) ?? []).flatMap(([error, value], i) => {
    if (error) throw error;
    const lane: Lane = LANES[i]!;
    return (value as string[]).map((id) => ({ lane, id }));
  });
  if (jobs.length === 0) return [];
  const fields = redis.pipeline();
  for (const { lane, id } of jobs) fields.hmget(taskKey(team, lane, id), 'priority', 'progress', 'data', 'name');
  return ((await fields.exec()) ?? []).flatMap(([error, value]) => {
    if (error) throw error;
    const [priority, progress, data, name] = value as [string | null, string | null, string | null, string | null];
    if (priority === null) return []; // finished and removed between the two reads
    // The job's name is its machine (version-2 job data leaves the machine out; version 1 has both).
    const machine = name ?? field(data, 'machine');
    return [
      {
        priority: Number(priority),
        phase: field(progress, 'phase') === 'PROCESSING' ? 'PROCESSING' : 'ASSIGNED',
        machine: typeof machine === 'string' ? machine : undefined,
      },
    ];
  });
}

/** Tasks running now per machine of the team (claimed by a bridge: ASSIGNED or PROCESSING). */
export async function runningByMachine(redis: Redis, team: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { machine } of await activeTasks(redis, team)) {
    if (machine !== undefined) counts.set(machine, (counts.get(machine) ?? 0) + 1);
  }
  return counts;
}

/** One top-level field of a JSON object held as text; undefined when it is not there or not JSON. */
function field(json: string | null, name: string): unknown {
  try {
    return json ? (JSON.parse(json) as Record<string, unknown>)[name] : undefined;
  } catch {
    return undefined;
  }
}
