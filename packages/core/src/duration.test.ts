import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationSchema, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['30d', 2_592_000_000],
    ['2w', 1_209_600_000],
    ['3650d', 315_360_000_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '1', 'h', '0h', '-1h', '1.5h', '1H', '1 h', ' 1h', '1h ', '1hh', '1y', '01h', '3651d', '1e3s', '1h\n'])(
    'refuses %j',
    (text) => {
      expect(durationSchema.safeParse(text).success).toBe(false);
    },
  );

  it('property: n of a unit is n times one of that unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.constantFrom('s', 'm', 'h', 'd'), (n, unit) => {
        expect(parseDuration(`${n}${unit}`)).toBe(n * parseDuration(`1${unit}`));
      }),
    );
  });
});
