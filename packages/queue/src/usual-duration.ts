// How long a command usually runs, for the console's task page ("elapsed against the usual"): the median run time
// of the newest completed tasks of a team with the same command. Bounded: it reads the newest RECENT completed
// jobs of each lane (one pipelined round trip), never a scan of the completed set.
import { LANE_QUEUES, LANES, taskKey, teamPrefix } from '@rediacc/core';
import type { Redis } from 'ioredis';

/** Completed jobs looked at per lane. */
const RECENT = 100;

/** Median ms from start to finish of the newest completed runs of `command` in `team`; null when none ran. */
export async function usualDurationMs(redis: Redis, team: string, command: string): Promise<number | null> {
  const lists = redis.pipeline();
  for (const lane of LANES) lists.zrevrange(`${teamPrefix(team)}:${LANE_QUEUES[lane]}:completed`, 0, RECENT - 1);
  const ids = ((await lists.exec()) ?? []).flatMap(([error, value], i) => {
    if (error) throw error;
    return (value as string[]).map((id) => ({ lane: LANES[i]!, id }));
  });
  if (ids.length === 0) return null;
  const reads = redis.pipeline();
  for (const { lane, id } of ids) reads.hmget(taskKey(team, lane, id), 'data', 'processedOn', 'finishedOn');
  const durations: number[] = [];
  for (const [error, value] of (await reads.exec()) ?? []) {
    if (error) throw error;
    const [data, processedOn, finishedOn] = value as [string | null, string | null, string | null];
    const ms = Number(finishedOn) - Number(processedOn);
    if (!data || !processedOn || !finishedOn || !Number.isFinite(ms) || ms < 0) continue;
    if (commandOf(data) === command) durations.push(ms);
  }
  if (durations.length === 0) return null;
  durations.sort((a, b) => a - b);
  const mid = Math.floor(durations.length / 2);
  return durations.length % 2 === 1 ? durations[mid]! : Math.round((durations[mid - 1]! + durations[mid]!) / 2);
}

function commandOf(data: string): unknown {
  try {
    return (JSON.parse(data) as { command?: unknown }).command;
  } catch {
    return undefined;
  }
}
