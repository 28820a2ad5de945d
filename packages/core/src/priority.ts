// How a task's priority and retry policy become BullMQ job options, and which lane a priority runs in.
// Every job gets a priority >= 1: BullMQ serves un-prioritized jobs before all prioritized ones, so a P1
// behind them would wait.
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

/**
 * Lanes: P1 and P2 run in the critical lane, which bridges give reserved capacity (critical slots) on
 * top of their batch size, so a critical task never waits behind long low-priority work. One BullMQ
 * queue per lane, since a worker cannot fetch only some priorities of a queue.
 */
export const LANES = ['critical', 'normal'] as const;
export type Lane = (typeof LANES)[number];

/** The lowest-urgency priority that still runs in the critical lane. */
export const CRITICAL_MAX_PRIORITY = 2;

export function laneOf(priority: number): Lane {
  return priority <= CRITICAL_MAX_PRIORITY ? 'critical' : 'normal';
}
