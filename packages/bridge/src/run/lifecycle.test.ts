import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leaseUntil, slotLimit, slotRetryDelayMs } from './lifecycle.js';

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

describe('leaseUntil', () => {
  it('no known expiry: no lease (every check reads the lock)', () => {
    expect(leaseUntil(1_000, 0)).toBe(0);
  });

  it('property: the lease ends after the claim was sent, and well before the lock could expire', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.integer({ min: 1, max: 3_600_000 }), (at, ttl) => {
        const until = leaseUntil(at, ttl);
        expect(until).toBeGreaterThan(at);
        // A third of the lock's time is left as margin for clock drift between Redis and this process.
        expect(until - at).toBeLessThanOrEqual((ttl * 2) / 3 + 1e-6);
      }),
    );
  });
});
