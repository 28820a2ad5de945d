import type { Metrics } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { countInMinute } from './throughput.js';

const MINUTE = 60_000;
const metrics = (count: number, prevTS: number, prevCount: number, data: number[]): Metrics => ({
  meta: { count, prevTS, prevCount },
  data,
  count: data.length,
});

describe('countInMinute', () => {
  it("reads the open minute of the last finish from the counters, and closed minutes from the list's head back", () => {
    // Last finish in minute 100; 7 finished in all, 4 counted before minute 100; the list: minute 99 had 3, 98 none.
    const m = metrics(7, 100 * MINUTE + 5_000, 4, [3, 0, 1]);
    expect(countInMinute(m, 100)).toBe(3);
    expect(countInMinute(m, 99)).toBe(3);
    expect(countInMinute(m, 98)).toBe(0);
    expect(countInMinute(m, 97)).toBe(1);
    expect(countInMinute(m, 96)).toBe(0);
    expect(countInMinute(m, 101)).toBe(0);
  });

  it('counts nothing for a queue that never finished a job', () => {
    expect(countInMinute(metrics(0, 0, 0, []), 100)).toBe(0);
  });
});
