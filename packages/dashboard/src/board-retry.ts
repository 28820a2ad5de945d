// Which tasks the board may retry: failed ones only, and not those whose failure says running again is wrong. A
// cancelled task was stopped on purpose (DESIGN: never retried), and a runOnce task whose run was lost may already
// have done its work (RDC_RUN_LOST: a retry could do it twice). Completed tasks are not re-run from the board.
import { type ErrorCode, parseReason } from '@rediacc/core';
import type { Queue } from 'bullmq';

const NEVER_RETRIED: ReadonlySet<ErrorCode> = new Set(['RDC_CANCELLED', 'RDC_RUN_LOST']);

/** Why the board must not retry job `jobId` of `queue`, or undefined when it may (or the job is gone: Bull Board says so). */
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
