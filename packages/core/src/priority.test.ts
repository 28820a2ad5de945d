import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CAPPED_EXPONENTIAL,
  CRITICAL_MAX_PRIORITY,
  DEFAULT_MAX_RETRY_DELAY_SECONDS,
  exponentialDelayMs,
  jobOptionsFor,
  LANES,
  laneOf,
  RETRY_JITTER,
  retriesRemaining,
} from './priority.js';
import { type TaskSpec, taskSpecSchema } from './task-spec.js';

type RetryPolicy = Pick<TaskSpec, 'priority' | 'maxRetries' | 'retryDelay' | 'backoff'>;
const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
  priority: 3,
  maxRetries: 0,
  retryDelay: 30,
  backoff: 'fixed',
  ...overrides,
});

/** Any retry policy the task spec accepts. */
const validPolicy = fc.record({
  priority: fc.constantFrom(1, 2, 3, 4, 5),
  maxRetries: fc.integer({ min: 0, max: 100 }),
  retryDelay: fc.double({ min: 0, max: 86_400, noNaN: true }),
  backoff: fc.constantFrom('fixed', 'exponential'),
});

describe('jobOptionsFor', () => {
  it('uses the task id as the BullMQ job id (idempotent create)', () => {
    expect(jobOptionsFor(policy(), 'task-1').jobId).toBe('task-1');
  });

  it.each([0, 1, 3, 100])('gives %i retries maxRetries + 1 attempts', (maxRetries) => {
    expect(jobOptionsFor(policy({ maxRetries }), 'id').attempts).toBe(maxRetries + 1);
  });

  it.each([1, 2, 3, 4, 5] as const)('keeps priority %i as the BullMQ priority', (priority) => {
    expect(jobOptionsFor(policy({ priority }), 'id').priority).toBe(priority);
  });

  it('gives a job built from a spec with every default a priority (3), never 0 or none', () => {
    const spec = taskSpecSchema.parse({ team: 't', machine: 'm', command: 'true' });
    expect(jobOptionsFor(spec, 'id').priority).toBe(3);
  });

  it('sets no backoff when there are no retries', () => {
    expect(jobOptionsFor(policy({ maxRetries: 0, backoff: 'exponential' }), 'id')).toEqual({
      jobId: 'id',
      priority: 3,
      attempts: 1,
    });
  });

  it('turns a fixed retry delay in seconds into a fixed backoff in milliseconds', () => {
    expect(jobOptionsFor(policy({ maxRetries: 3, retryDelay: 30 }), 'id').backoff).toEqual({
      type: 'fixed',
      delay: 30_000,
    });
  });

  it("turns an exponential retry delay into the bridges' capped exponential backoff", () => {
    expect(jobOptionsFor(policy({ maxRetries: 2, retryDelay: 1.5, backoff: 'exponential' }), 'id').backoff).toEqual({
      type: CAPPED_EXPONENTIAL,
      delay: 1_500,
    });
  });

  it('keeps a zero retry delay as a zero backoff delay', () => {
    expect(jobOptionsFor(policy({ maxRetries: 1, retryDelay: 0 }), 'id').backoff).toEqual({ type: 'fixed', delay: 0 });
  });

  it('property: every valid policy gets priority 1..5, attempts = maxRetries + 1 and a delay in ms', () => {
    fc.assert(
      fc.property(validPolicy, (p) => {
        const options = jobOptionsFor(p, 'id');
        expect(options.priority).toBeGreaterThanOrEqual(1);
        expect(options.priority).toBeLessThanOrEqual(5);
        expect(Number.isInteger(options.priority)).toBe(true);
        expect(options.attempts).toBe(p.maxRetries + 1);
        if (p.maxRetries === 0) {
          expect(options.backoff).toBeUndefined();
        } else {
          expect(options.backoff?.type).toBe(p.backoff === 'exponential' ? CAPPED_EXPONENTIAL : 'fixed');
          expect(options.backoff?.delay).toBe(p.retryDelay * 1000);
        }
      }),
    );
  });
});

describe('exponentialDelayMs', () => {
  const none = () => 0;
  const most = () => 0.999_999;

  it('doubles from retryDelay on each retry without jitter', () => {
    expect([1, 2, 3, 4].map((n) => exponentialDelayMs(n, 2, 3_600, none))).toEqual([2_000, 4_000, 8_000, 16_000]);
  });

  it('stops growing at the cap, by default one hour', () => {
    expect(exponentialDelayMs(30, 30, undefined, none)).toBe(DEFAULT_MAX_RETRY_DELAY_SECONDS * 1000);
    expect(exponentialDelayMs(5, 1, 5, none)).toBe(5_000);
    expect(exponentialDelayMs(100, 1, 5, none)).toBe(5_000);
  });

  it('shortens by at most the jitter, so the cap stays a ceiling', () => {
    expect(exponentialDelayMs(3, 1, 3_600, most)).toBe(Math.round(4_000 * (1 - RETRY_JITTER * 0.999_999)));
  });

  it('a cap below retryDelay wins', () => {
    expect(exponentialDelayMs(1, 10, 2, none)).toBe(2_000);
  });

  it('property: every delay lies within [(1 - jitter) · min(grown, cap), min(grown, cap)]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 86_400, noNaN: true }),
        fc.double({ min: 0, max: 86_400, noNaN: true }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (retry, delay, cap, r) => {
          const ms = exponentialDelayMs(retry, delay, cap, () => r);
          const ceiling = Math.min(delay * 2 ** Math.min(retry - 1, 60), cap) * 1000;
          expect(Number.isFinite(ms)).toBe(true);
          expect(ms).toBeLessThanOrEqual(Math.round(ceiling));
          expect(ms).toBeGreaterThanOrEqual(Math.floor(ceiling * (1 - RETRY_JITTER)));
        },
      ),
    );
  });
});

describe('retriesRemaining', () => {
  it.each([
    // maxRetries, triesStarted, terminalFailure, remaining
    [3, 0, false, 3], // not started yet
    [3, 1, false, 3], // first try running, or failed and waiting: the first try is not a retry
    [3, 2, false, 2], // first retry
    [3, 4, false, 0], // last retry running
    [3, 5, false, 0], // more tries than allowed (a stall re-ran it): never negative
    [0, 0, false, 0],
    [0, 1, false, 0],
    [3, 1, true, 0], // unrecoverable failure on the first try
    [3, 4, true, 0], // attempts exhausted
    [3, 0, true, 0], // cancelled before it ran
  ])('%i retries, %i tries started, terminal failure %s → %i left', (maxRetries, started, terminal, remaining) => {
    expect(retriesRemaining(maxRetries, started, terminal)).toBe(remaining);
  });

  it('property: never negative and never above maxRetries', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 200 }),
        fc.boolean(),
        (max, started, t) => {
          const left = retriesRemaining(max, started, t);
          expect(left).toBeGreaterThanOrEqual(0);
          expect(left).toBeLessThanOrEqual(max);
          expect(Number.isInteger(left)).toBe(true);
        },
      ),
    );
  });

  it('property: each further try started uses up one retry until none are left', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 200 }), (max, started) => {
        const before = retriesRemaining(max, started, false);
        const after = retriesRemaining(max, started + 1, false);
        expect(after).toBe(Math.max(0, before - 1));
      }),
    );
  });
});

describe('laneOf', () => {
  it.each([
    [1, 'critical'],
    [2, 'critical'],
    [3, 'normal'],
    [4, 'normal'],
    [5, 'normal'],
  ] as const)('runs P%i in the %s lane', (priority, lane) => {
    expect(laneOf(priority)).toBe(lane);
  });

  it('property: a task never runs in a lane reserved for more urgent work than its own', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3, 4, 5), fc.constantFrom(1, 2, 3, 4, 5), (a, b) => {
        // More urgent (lower number) never lands in a less urgent lane than something less urgent.
        if (a <= b) expect(LANES.indexOf(laneOf(a))).toBeLessThanOrEqual(LANES.indexOf(laneOf(b)));
      }),
    );
    expect(laneOf(CRITICAL_MAX_PRIORITY)).toBe('critical');
    expect(laneOf(CRITICAL_MAX_PRIORITY + 1)).toBe('normal');
  });
});
