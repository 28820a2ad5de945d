import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slotLimit, slotRetryDelayMs } from './lifecycle.js';

describe('slotLimit', () => {
  it.each([
    // machine's own, bridge's, applied
    [undefined, undefined, undefined],
    [undefined, 3, 3],
    [1, 3, 1],
    [5, 3, 5],
    [2, undefined, 2],
  ])('machine %s, bridge %s → %s', (machine, bridge, applied) => {
    expect(slotLimit(machine, bridge)).toBe(applied);
  });
});

describe('slotRetryDelayMs', () => {
  it('property: retries soon, between 100 and 500 ms, whatever the randomness', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (r) => {
        const delay = slotRetryDelayMs(() => r);
        expect(delay).toBeGreaterThanOrEqual(100);
        expect(delay).toBeLessThan(500);
        expect(Number.isInteger(delay)).toBe(true);
      }),
    );
  });

  it('spreads waiters out instead of moving them in step', () => {
    expect(slotRetryDelayMs(() => 0)).not.toBe(slotRetryDelayMs(() => 0.99));
  });
});
