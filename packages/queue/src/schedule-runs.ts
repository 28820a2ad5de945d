// One run of a schedule: a bridge turns the trigger job BullMQ's job scheduler produced into an ordinary task (a
// batch for a fan-out schedule: schedule-fanout.ts), its job stored as a created task's (core's taskJob), or
// skips it when the schedule's overlap policy is "skip" and its previous run is still PENDING or running. The
// task's id is derived from the trigger's, so a bridge that dies after adding the task and before finishing the
// trigger adds nothing twice: the next holder's add finds the same id (BullMQ ignores it).
import { isTerminal, jobOptionsFor, laneOf, registryKeys, taskJob } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { indexByMachine } from './machine-index.js';
import type { TeamQueues } from './queues.js';
import { runFanOut } from './schedule-fanout.js';
import { runTaskId } from './schedule-run-id.js';
import { getSchedule } from './schedules.js';
import { readTeamTask } from './team-tasks.js';

export { runTaskId };

/** `skipped` of a fan-out schedule names batches (taskId: this run's batch, runningTaskId: the previous one's). */
export type ScheduleRunOutcome =
  | { outcome: 'queued'; taskId: string }
  | { outcome: 'batch'; batchId: string; taskIds: string[] }
  | { outcome: 'skipped'; taskId: string; runningTaskId: string }
  | { outcome: 'gone' };

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
  if (record.fanOut) {
    const run = await runFanOut(redis, queues, { ...record, fanOut: record.fanOut }, triggerId);
    return run.outcome === 'queued'
      ? { outcome: 'batch', batchId: run.batchId, taskIds: run.taskIds }
      : { outcome: 'skipped', taskId: run.batchId, runningTaskId: run.runningBatchId };
  }
  const taskId = runTaskId(team, triggerId);
  const last = await redis.hget(registryKeys.scheduleRuns(team), name);
  if (record.overlap === 'skip' && last !== null && last !== taskId) {
    const previous = await readTeamTask(queues, redis, team, last, laneOf(record.job.data.priority));
    if (previous && !isTerminal(previous.status)) return { outcome: 'skipped', taskId, runningTaskId: last };
  }
  const { data } = record.job;
  const queue = queues.forPriority(team, data.priority);
  // As a created task's job (taskJob): the current job data version, options from the retry policy. The record's
  // data may be of version 1 and its stored options older ones (retention, keepLogs): neither is copied as it is.
  const run = taskJob({ ...data, machine: record.job.name, scheduleName: name }, jobOptionsFor(data, taskId));
  const job = await queue.add(run.name, run.data, run.opts);
  await indexByMachine(redis, queue, [job]);
  await redis.hset(registryKeys.scheduleRuns(team), name, taskId);
  return { outcome: 'queued', taskId };
}
