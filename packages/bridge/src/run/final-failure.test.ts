import { RdcError } from '@rediacc/core';
import { DelayedError, UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { isFinalFailure } from './final-failure.js';

const job = (attemptsMade: number, attempts: number) => ({ attemptsMade, opts: { attempts } });
const failed = new Error(new RdcError('RDC_COMMAND_FAILED', 'exit code 1').toReason());

describe('isFinalFailure: what stops a --stop-on-failure batch', () => {
  it('is a failure on the last try, or one that is never retried', () => {
    expect(isFinalFailure(failed, job(0, 1))).toBe(true);
    expect(isFinalFailure(failed, job(0, 3))).toBe(false);
    expect(isFinalFailure(failed, job(2, 3))).toBe(true);
    expect(isFinalFailure(new UnrecoverableError(failed.message), job(0, 3))).toBe(true);
  });

  it("reads a try's own RdcError: retried while tries remain, final when never retried", () => {
    const retryable = new RdcError('RDC_COMMAND_FAILED', 'exit code 1', { retryable: true });
    expect(isFinalFailure(retryable, job(0, 3))).toBe(false);
    expect(isFinalFailure(retryable, job(2, 3))).toBe(true);
    expect(isFinalFailure(new RdcError('RDC_HOST_KEY_MISMATCH', 'mismatch'), job(0, 3))).toBe(true);
    expect(isFinalFailure(new RdcError('RDC_CANCELLED', 'cancelled while running'), job(0, 1))).toBe(false);
  });

  it('is never a cancel, a put-back or a lost lock', () => {
    const cancelled = new UnrecoverableError(new RdcError('RDC_CANCELLED', 'cancelled').toReason());
    expect(isFinalFailure(cancelled, job(0, 1))).toBe(false);
    expect(isFinalFailure(new DelayedError(), job(0, 1))).toBe(false);
    const lost = Object.assign(new Error('lost'), { name: 'LockLostError' });
    expect(isFinalFailure(lost, job(0, 1))).toBe(false);
  });
});
