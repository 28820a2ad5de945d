// Retrying a failed task: the one rule of which tasks may run again, used by `tasks.retry` and by Bull Board's
// retry guard in the dashboard. Failed ones only, and not those whose failure says running again is wrong: a
// cancelled task was stopped on purpose (DESIGN: never retried), and a runOnce task whose run was lost may already
// have done its work (RDC_RUN_LOST: a retry could do it twice). Completed tasks are not re-run either.
import { type ErrorCode, parseReason, RdcError, type TaskStatus } from '@rediacc/core';
import type { Queue } from 'bullmq';

const NEVER_RETRIED: ReadonlySet<ErrorCode> = new Set(['RDC_CANCELLED', 'RDC_RUN_LOST']);

export interface RetryResult {
  taskId: string;
  /** The task's status once it is back in its queue (PENDING). */
  status: TaskStatus;
}

/** Why job `jobId` of `queue` must not be retried, or undefined when it may (or the job is gone). */
export async function retryRefusal(queue: Queue, jobId: string): Promise<string | undefined> {
  const job = await queue.getJob(jobId);
  if (!job) return undefined;
  if (!(await job.isFailed())) return `task ${jobId} has not failed; only failed tasks are retried`;
  const { code } = parseReason(job.failedReason ?? '');
  if (code !== undefined && NEVER_RETRIED.has(code)) {
    return `task ${jobId} failed with ${code}, which is never retried; create the task again if it should still run`;
  }
  return undefined;
}

/**
 * Moves failed task `taskId` of `queue` back to its queue to run again (BullMQ keeps its priority), or throws
 * RDC_TASK_NOT_RETRYABLE saying why it may not. No queue: only a cancel tombstone is left.
 */
export async function retryTask(queue: Queue | undefined, taskId: string): Promise<RetryResult> {
  if (!queue) throw new RdcError('RDC_TASK_NOT_RETRYABLE', `task ${taskId} was cancelled before it ran`);
  const job = await queue.getJob(taskId);
  if (!job) throw new RdcError('RDC_TASK_UNKNOWN', `no task with id ${taskId}`);
  const refusal = await retryRefusal(queue, taskId);
  if (refusal !== undefined) throw new RdcError('RDC_TASK_NOT_RETRYABLE', refusal);
  // BullMQ's retry checks the state again in its script: a task that left `failed` meanwhile is refused there.
  await job.retry('failed');
  return { taskId, status: 'PENDING' };
}
