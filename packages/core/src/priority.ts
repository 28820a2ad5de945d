// How a task's priority and retry policy become BullMQ job options, and which lane a priority runs in.
// Every job gets a priority >= 1: BullMQ serves un-prioritized jobs before all prioritized ones, so a P1
// behind them would wait.
import type { TaskSpec } from './task-spec.js';

/**
 * BullMQ backoff type of exponential retries. BullMQ's own exponential backoff has no ceiling, so bridges
 * register this strategy (exponentialDelayMs); the job data carries the task's cap.
 */
export const CAPPED_EXPONENTIAL = 'rdc-exponential';
/** Exponential retry delays stop growing here unless the task sets its own maxRetryDelay. */
export const DEFAULT_MAX_RETRY_DELAY_SECONDS = 3_600;
/** Exponential delays are shortened by up to this fraction at random, so retries of many tasks spread out. */
export const RETRY_JITTER = 0.25;

export interface TaskJobOptions {
  jobId: string;
  priority: number;
  attempts: number;
  backoff?: { type: 'fixed' | typeof CAPPED_EXPONENTIAL; delay: number };
}

export function jobOptionsFor(
  spec: Pick<TaskSpec, 'priority' | 'maxRetries' | 'retryDelay' | 'backoff'>,
  jobId: string,
): TaskJobOptions {
  const options: TaskJobOptions = { jobId, priority: spec.priority, attempts: spec.maxRetries + 1 };
  if (spec.maxRetries > 0) {
    options.backoff = {
      type: spec.backoff === 'exponential' ? CAPPED_EXPONENTIAL : 'fixed',
      delay: spec.retryDelay * 1000,
    };
  }
  return options;
}

/**
 * The wait before retry `retry` (1 = the first retry) of an exponential policy: retryDelay·2^(retry−1), capped
 * at maxRetryDelay, then shortened by up to RETRY_JITTER at random (so the cap stays a ceiling).
 */
export function exponentialDelayMs(
  retry: number,
  retryDelaySeconds: number,
  maxRetryDelaySeconds: number = DEFAULT_MAX_RETRY_DELAY_SECONDS,
  random: () => number = Math.random,
): number {
  const grown = retryDelaySeconds * 2 ** Math.min(Math.max(0, retry - 1), 60);
  const capped = Math.min(grown, Math.max(maxRetryDelaySeconds, 0)) * 1000;
  return Math.round(capped * (1 - RETRY_JITTER * random()));
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
