// Reading tasks out of BullMQ: one job → a TaskView, and paginated listings that never load a
// whole backlog (DESIGN: getJobs loads every match unless paginated).
import {
  type JobSnapshot,
  type JobState,
  jobStatesFor,
  progressSchema,
  type TaskStatus,
  type TaskView,
  taskStatus,
  toTaskView,
} from '@rediacc/core';
import type { Job, JobType, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export function snapshotOf(job: Job, state: JobState, delayUntil?: number): JobSnapshot {
  return {
    id: String(job.id),
    state,
    data: job.data,
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

const ALL_STATES: JobState[] = ['active', 'prioritized', 'waiting', 'delayed', 'completed', 'failed'];

/**
 * Up to `limit` tasks of one team queue (one lane), optionally only those with `status`. Walks each BullMQ state
 * in pages so a million pending tasks cost one page, not a million reads.
 */
export async function listTasks(queue: Queue, options: { status?: TaskStatus; limit: number }): Promise<TaskView[]> {
  const states = options.status ? jobStatesFor(options.status) : ALL_STATES;
  const out: TaskView[] = [];
  const pageSize = Math.max(options.limit, 50);
  for (const state of states) {
    for (let start = 0; out.length < options.limit; start += pageSize) {
      // Finished jobs newest first; pending jobs in the order they will run.
      const asc = state !== 'completed' && state !== 'failed';
      const jobs = (await queue.getJobs([state as JobType], start, start + pageSize - 1, asc)).filter(Boolean);
      for (const job of jobs) {
        if (options.status && !matches(job, state, options.status)) continue;
        const view = toTaskView(snapshotOf(job, state));
        if (view) out.push(view);
        if (out.length >= options.limit) break;
      }
      if (jobs.length < pageSize) break;
    }
    if (out.length >= options.limit) break;
  }
  return out;
}

function matches(job: Job, state: JobState, status: TaskStatus): boolean {
  const progress = progressSchema.safeParse(job.progress);
  return (
    taskStatus({
      state,
      phase: progress.success ? progress.data.phase : undefined,
      failedReason: job.failedReason || undefined,
    }) === status
  );
}
