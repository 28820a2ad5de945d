import { describe, expect, it } from 'vitest';
import { renewIntervalMs } from './machine-slots.js';

describe('renewIntervalMs', () => {
  it.each([
    [30_000, 10_000],
    [1_000, 333],
    [2, 1],
  ])('renews a %i ms lease every %i ms: three chances before it expires', (lease, every) => {
    expect(renewIntervalMs(lease)).toBe(every);
  });
});
