// How a task's priority and retry policy become BullMQ job options. Every job gets a priority >= 1:
// BullMQ serves un-prioritized jobs before all prioritized ones, so a P1 behind them would wait.
import type { TaskSpec } from './task-spec.js';

export interface TaskJobOptions {
  jobId: string;
  priority: number;
  attempts: number;
  backoff?: { type: 'fixed' | 'exponential'; delay: number; jitter?: number };
}

export function jobOptionsFor(
  spec: Pick<TaskSpec, 'priority' | 'maxRetries' | 'retryDelay' | 'backoff'>,
  jobId: string,
): TaskJobOptions {
  const options: TaskJobOptions = { jobId, priority: spec.priority, attempts: spec.maxRetries + 1 };
  if (spec.maxRetries > 0) {
    options.backoff =
      spec.backoff === 'exponential'
        ? { type: 'exponential', delay: spec.retryDelay * 1000, jitter: 0.25 }
        : { type: 'fixed', delay: spec.retryDelay * 1000 };
  }
  return options;
}

/**
 * Retries remaining (the docs' `retryCount`). A try that has started uses one of the tries;
 * the first is not a retry. Finished-unsuccessfully tasks have none left.
 */
export function retriesRemaining(maxRetries: number, triesStarted: number, terminalFailure: boolean): number {
  if (terminalFailure) return 0;
  return Math.max(0, maxRetries - Math.max(0, triesStarted - 1));
}
