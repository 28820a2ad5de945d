import { describe, expect, it } from 'vitest';
import { letsGo, STOP_REASONS, stopReasonOf } from './stop-reason.js';

const aborted = (reason: unknown) => {
  const controller = new AbortController();
  controller.abort(reason);
  return controller.signal;
};

describe('stop reasons', () => {
  it('reads back each typed reason, and nothing from a signal not aborted', () => {
    for (const reason of STOP_REASONS) expect(stopReasonOf(aborted(reason))).toBe(reason);
    expect(stopReasonOf(new AbortController().signal)).toBeUndefined();
    expect(stopReasonOf(undefined)).toBeUndefined();
  });

  it('counts any other abort as a cancel (the run is killed, never silently left)', () => {
    expect(stopReasonOf(aborted('shutdown'))).toBe('cancel');
    expect(stopReasonOf(aborted(new Error('x')))).toBe('cancel');
  });

  it('lets go of the run only on hand-back and lost lock', () => {
    expect(STOP_REASONS.filter((reason) => letsGo(reason))).toEqual(['handback', 'lock-lost']);
    expect(letsGo(undefined)).toBe(false);
  });
});
