// Tasks running now per machine of a team: the jobs in each lane's active list (claimed by a bridge, few: bounded
// by the bridges' slots), read by id with one pipelined HGET of their data, and counted by their machine.
import { LANES } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { LANE_QUEUES, teamPrefix } from './keys.js';

export async function runningByMachine(redis: Redis, team: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const lane of LANES) {
    const prefix = `${teamPrefix(team)}:${LANE_QUEUES[lane]}`;
    const ids = await redis.lrange(`${prefix}:active`, 0, -1);
    if (ids.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hget(`${prefix}:${id}`, 'data');
    for (const [error, data] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      const machine = machineOf(data);
      if (machine !== undefined) counts.set(machine, (counts.get(machine) ?? 0) + 1);
    }
  }
  return counts;
}

function machineOf(data: unknown): string | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const machine = (JSON.parse(data) as { machine?: unknown }).machine;
    return typeof machine === 'string' ? machine : undefined;
  } catch {
    return undefined;
  }
}
