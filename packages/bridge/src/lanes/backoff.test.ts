import { CAPPED_EXPONENTIAL, JOB_DATA_VERSION, jobDataSchema } from '@rediacc/core';
import { describe, expect, it } from 'vitest';
import { backoffStrategy } from './backoff.js';

/** Task data as the processor parses it. */
const job = (extra: Record<string, unknown>) =>
  jobDataSchema.parse({
    v: JOB_DATA_VERSION,
    team: 't',
    machine: 'm',
    command: 'true',
    priority: 3,
    maxRetries: 9,
    retryDelay: 10,
    backoff: 'exponential',
    failureAction: 'none',
    ...extra,
  });

describe('backoffStrategy', () => {
  it("caps the task's exponential delays at its maxRetryDelay", () => {
    for (let retry = 1; retry <= 9; retry++) {
      const ms = backoffStrategy(retry, CAPPED_EXPONENTIAL, job({ maxRetryDelay: 60 }));
      expect(ms).toBeLessThanOrEqual(Math.min(10 * 2 ** (retry - 1), 60) * 1000);
      expect(ms).toBeGreaterThanOrEqual(Math.min(10 * 2 ** (retry - 1), 60) * 750);
    }
  });

  it('grows to the default cap of one hour without a maxRetryDelay', () => {
    expect(backoffStrategy(20, CAPPED_EXPONENTIAL, job({}))).toBeLessThanOrEqual(3_600_000);
    expect(backoffStrategy(20, CAPPED_EXPONENTIAL, job({}))).toBeGreaterThanOrEqual(2_700_000);
  });

  it('retries at once for a backoff type or job data it does not know', () => {
    expect(backoffStrategy(3, 'linear', job({}))).toBe(0);
    expect(backoffStrategy(3, CAPPED_EXPONENTIAL, undefined)).toBe(0);
  });
});
