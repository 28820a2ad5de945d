// The retry delays bridges compute for BullMQ: the capped exponential backoff of rediacc tasks. BullMQ calls
// this (worker `settings.backoffStrategy`) for every backoff type it does not know itself.
import { CAPPED_EXPONENTIAL, exponentialDelayMs, type JobData } from '@rediacc/core';

/**
 * For BullMQ's custom backoff hook: `attemptsMade` counts the try that just failed, so it is the retry number.
 * `data`: the task's data as its processor parsed it (never parsed again here); undefined for a job that is not a
 * task this bridge processed.
 */
export function backoffStrategy(
  attemptsMade: number,
  type: string | undefined,
  data: Pick<JobData, 'retryDelay' | 'maxRetryDelay'> | undefined,
): number {
  if (type !== CAPPED_EXPONENTIAL || !data) {
    // Not ours (or unreadable): retry at once rather than lose the try; the processor fails bad data anyway.
    return 0;
  }
  return exponentialDelayMs(attemptsMade, data.retryDelay, data.maxRetryDelay);
}
