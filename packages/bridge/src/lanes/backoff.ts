// The retry delays bridges compute for BullMQ: the capped exponential backoff of rediacc tasks. BullMQ calls
// this (worker `settings.backoffStrategy`) for every backoff type it does not know itself.
import { CAPPED_EXPONENTIAL, exponentialDelayMs, jobDataSchema } from '@rediacc/core';
import type { MinimalJob } from 'bullmq';

/** BullMQ's custom backoff hook: `attemptsMade` counts the try that just failed, so it is the retry number. */
export function backoffStrategy(attemptsMade: number, type?: string, _error?: Error, job?: MinimalJob): number {
  const data = jobDataSchema.safeParse(job?.data);
  if (type !== CAPPED_EXPONENTIAL || !data.success) {
    // Not ours (or unreadable): retry at once rather than lose the try; the processor fails bad data anyway.
    return 0;
  }
  return exponentialDelayMs(attemptsMade, data.data.retryDelay, data.data.maxRetryDelay);
}
