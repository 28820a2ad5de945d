// One run of a schedule: a bridge turns the trigger job BullMQ's job scheduler produced into an ordinary task, or
// skips it when the schedule's overlap policy is "skip" and its previous run is still PENDING or running. The
// task's id is derived from the trigger's, so a bridge that dies after adding the task and before finishing the
// trigger adds nothing twice: the next holder's add finds the same id (BullMQ ignores it).
import { createHash } from 'node:crypto';
import { isTerminal, laneOf, registryKeys } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { indexByMachine } from './machine-index.js';
import type { TeamQueues } from './queues.js';
import { getSchedule } from './schedules.js';
import { readTeamTask } from './team-tasks.js';

export type ScheduleRunOutcome =
  | { outcome: 'queued'; taskId: string }
  | { outcome: 'skipped'; taskId: string; runningTaskId: string }
  | { outcome: 'gone' };

/** The task id of one trigger: a UUID (version 8, name-based) from the team and the trigger's job id. */
export function runTaskId(team: string, triggerId: string): string {
  const h = createHash('sha256').update(`${team}\0${triggerId}`).digest('hex');
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Runs the schedule `name` of `team` once for the trigger `triggerId`. "gone": removed or paused meanwhile. */
export async function runSchedule(
  redis: Redis,
  queues: TeamQueues,
  team: string,
  name: string,
  triggerId: string,
): Promise<ScheduleRunOutcome> {
  const record = await getSchedule(redis, team, name);
  if (!record || record.paused) return { outcome: 'gone' };
  const taskId = runTaskId(team, triggerId);
  const last = await redis.hget(registryKeys.scheduleRuns(team), name);
  if (record.overlap === 'skip' && last !== null && last !== taskId) {
    const previous = await readTeamTask(queues, redis, team, last, laneOf(record.job.data.priority));
    if (previous && !isTerminal(previous.status)) return { outcome: 'skipped', taskId, runningTaskId: last };
  }
  const queue = queues.forPriority(team, record.job.data.priority);
  const job = await queue.add(
    record.job.name,
    { ...record.job.data, scheduleName: name },
    { ...record.job.opts, jobId: taskId },
  );
  await indexByMachine(redis, queue, [job]);
  await redis.hset(registryKeys.scheduleRuns(team), name, taskId);
  return { outcome: 'queued', taskId };
}
