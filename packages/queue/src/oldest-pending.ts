// The creation time of the oldest task waiting at each priority of a team, for the age-of-backlog gauge. Cheap at
// any backlog: BullMQ keeps a lane's ready jobs in its `prioritized` zset scored priority × 2^32 + an insertion
// counter, so the first member in a priority's score range is its oldest waiting job (O(log n)), and its hash
// holds the creation timestamp. Tasks backing off before a retry (delayed) are not waiting and are not counted.
import { LANE_QUEUES, laneOf, taskKey, teamPrefix } from '@rediacc/core';
import type { Redis } from 'ioredis';

const SCORE_STEP = 0x100000000;
const PRIORITIES = [1, 2, 3, 4, 5] as const;

/** priority → creation time (ms) of its oldest waiting task; absent when none waits at that priority. */
export async function oldestPendingByPriority(redis: Redis, team: string): Promise<Map<number, number>> {
  const firsts = redis.pipeline();
  for (const priority of PRIORITIES) {
    const zset = `${teamPrefix(team)}:${LANE_QUEUES[laneOf(priority)]}:prioritized`;
    firsts.zrangebyscore(zset, priority * SCORE_STEP, (priority + 1) * SCORE_STEP - 1, 'LIMIT', 0, 1);
  }
  const ids = ((await firsts.exec()) ?? []).map(([error, value]) => {
    if (error) throw error;
    return (value as string[])[0];
  });
  const waiting = PRIORITIES.flatMap((priority, i) => (ids[i] === undefined ? [] : [{ priority, id: ids[i] }]));
  if (waiting.length === 0) return new Map();
  const stamps = redis.pipeline();
  for (const { priority, id } of waiting) stamps.hget(taskKey(team, laneOf(priority), id), 'timestamp');
  const times = ((await stamps.exec()) ?? []).map(([error, value]) => {
    if (error) throw error;
    return Number(value);
  });
  const oldest = new Map<number, number>();
  waiting.forEach(({ priority }, i) => {
    const at = times[i];
    if (at !== undefined && Number.isFinite(at) && at > 0) oldest.set(priority, at);
  });
  return oldest;
}
