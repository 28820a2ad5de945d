import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leaseUntil, parkDelayMs, slotLimit, waitersTtlMs } from './lifecycle.js';

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

describe('parkDelayMs: the safety net of a task parked for a slot', () => {
  it('property: the first waiters look again after about checkMs, the ones further back later, never past 60 checks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 600_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (checkMs, ahead, limit, r) => {
          const delay = parkDelayMs(checkMs, ahead, limit, () => r);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(checkMs);
          expect(delay).toBeLessThanOrEqual(checkMs * 60 * 1.25);
          if (ahead < limit) expect(delay).toBeLessThanOrEqual(checkMs * 1.25);
          expect(parkDelayMs(checkMs, ahead + limit, limit, () => r)).toBeGreaterThanOrEqual(delay);
        },
      ),
    );
  });

  it('spreads waiters out instead of moving them in step', () => {
    expect(parkDelayMs(5_000, 0, 1, () => 0)).not.toBe(parkDelayMs(5_000, 0, 1, () => 0.99));
  });

  it('the waiting list outlives every safety net', () => {
    expect(waitersTtlMs(5_000)).toBeGreaterThan(parkDelayMs(5_000, 1e9, 1, () => 0.999));
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
