// Tasks finished per minute over the last minutes, from BullMQ's built-in queue metrics (the bridges' workers
// collect them: `metrics: { maxDataPoints }`). BullMQ keeps, per queue and outcome, a count since `prevTS` (the
// minute of the last finish) and a list of closed minutes before it, newest first; this turns both lanes' into
// one bucket per minute ending now, oldest first.
import { LANES } from '@rediacc/core';
import type { Metrics } from 'bullmq';
import type { TeamQueues } from './queues.js';

export interface ThroughputBucket {
  minuteStart: string;
  completed: number;
  failed: number;
}

const MINUTE_MS = 60_000;

/** The last `minutes` one-minute buckets of `team` (the current minute last), both lanes summed. */
export async function recentThroughput(
  queues: TeamQueues,
  team: string,
  now: number,
  minutes = 15,
): Promise<ThroughputBucket[]> {
  const read = (type: 'completed' | 'failed') =>
    Promise.all(LANES.map((lane) => queues.get(team, lane).getMetrics(type, 0, minutes)));
  const [completed, failed] = await Promise.all([read('completed'), read('failed')]);
  const nowMinute = Math.floor(now / MINUTE_MS);
  const sum = (metrics: Metrics[], minute: number) => metrics.reduce((n, m) => n + countInMinute(m, minute), 0);
  return Array.from({ length: minutes }, (_, i) => {
    const minute = nowMinute - (minutes - 1) + i;
    return {
      minuteStart: new Date(minute * MINUTE_MS).toISOString(),
      completed: sum(completed, minute),
      failed: sum(failed, minute),
    };
  });
}

/**
 * How many jobs one queue's metrics count in `minute` (ms / 60 000). The minute of `prevTS` holds
 * `count - prevCount` (still open); `data[i]` is the closed minute `i + 1` before it.
 */
export function countInMinute(metrics: Metrics, minute: number): number {
  const { count, prevTS, prevCount } = metrics.meta;
  if (!prevTS) return 0;
  const last = Math.floor(prevTS / MINUTE_MS);
  if (minute === last) return Math.max(0, count - prevCount);
  const back = last - minute - 1;
  return back >= 0 && back < metrics.data.length ? (metrics.data[back] ?? 0) : 0;
}
