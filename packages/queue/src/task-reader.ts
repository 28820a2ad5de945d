// Reading tasks out of BullMQ: one job → a TaskView, and paginated listings that never load a
// whole backlog (DESIGN: getJobs loads every match unless paginated).
import { type JobOrigin, type JobSnapshot, type JobState, type TaskView, toTaskView } from '@rediacc/core';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * What the job says about its task besides its data (version-2 data leaves it out): the team of its queue (the
 * hash tag of `rdc:{team}:<lane>`), the machine (the job's name) and the priority (its BullMQ priority).
 */
export function jobOrigin(job: Job): Partial<JobOrigin> {
  return {
    team: /\{([^}]+)\}/.exec(job.queueQualifiedName)?.[1],
    machine: job.name,
    priority: job.opts.priority,
  };
}

export function snapshotOf(job: Job, state: JobState, delayUntil?: number): JobSnapshot {
  return {
    id: String(job.id),
    state,
    data: job.data,
    origin: jobOrigin(job),
    progress: job.progress,
    returnvalue: job.returnvalue,
    failedReason: job.failedReason || undefined,
    attemptsStarted: job.attemptsStarted ?? job.attemptsMade,
    timestamp: job.timestamp,
    processedOn: job.processedOn,
    finishedOn: job.finishedOn,
    delayUntil,
  };
}

/** One task by id from one of a team's queues, or undefined when the queue has no such job. */
export async function readTask(queue: Queue, redis: Redis, taskId: string): Promise<TaskView | undefined> {
  // State first, then the job: a finished job no longer changes, so its hash read afterwards matches. The other
  // order can pair an 'active' hash (no result, no reason) with a 'failed' state: a FAILED task without its error.
  const state = (await queue.getJobState(taskId)) as JobState;
  if (state === 'unknown') return undefined;
  const job = await queue.getJob(taskId);
  if (!job) return undefined;
  let delayUntil: number | undefined;
  if (state === 'delayed') {
    // BullMQ scores delayed jobs as timestamp * 0x1000 + counter.
    const score = await redis.zscore(queue.toKey('delayed'), taskId);
    if (score !== null) delayUntil = Math.floor(Number(score) / 0x1000);
  }
  return toTaskView(snapshotOf(job, state, delayUntil));
}
