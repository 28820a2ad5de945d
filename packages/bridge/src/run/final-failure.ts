// Which failure ends a task for good: the first such failure of a task of a --stop-on-failure batch stops the batch
// (lifecycle.ts writes the stop flag in the same step that frees the task's slots).
import { isRdcError, parseReason } from '@rediacc/core';
import { DelayedError, type Job, UnrecoverableError, WaitingError } from 'bullmq';

/**
 * A failure BullMQ will not retry, other than a cancel: the task ends FAILED with it. Takes the error as a try throws
 * it (an RdcError, retryable or not) or as BullMQ gets it (an Error or UnrecoverableError carrying a reason).
 */
export function isFinalFailure(error: unknown, job: Pick<Job, 'attemptsMade' | 'opts'>): boolean {
  if (!(error instanceof Error) || error instanceof DelayedError || error instanceof WaitingError) return false;
  if (error.name === 'LockLostError') return false;
  const code = isRdcError(error) ? error.code : parseReason(error.message).code;
  if (code === 'RDC_CANCELLED') return false;
  const retried = isRdcError(error) ? error.retryable : !(error instanceof UnrecoverableError);
  return !retried || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
