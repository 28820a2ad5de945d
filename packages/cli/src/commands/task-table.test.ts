import { describe, expect, it } from 'vitest';
import { ageOf } from './task-table.js';

describe('ageOf', () => {
  const now = Date.parse('2026-01-31T12:00:00Z');
  const ago = (ms: number) => new Date(now - ms).toISOString();

  it('says how old a task is in its largest whole unit', () => {
    expect(ageOf(ago(0), now)).toBe('0s');
    expect(ageOf(ago(59_999), now)).toBe('59s');
    expect(ageOf(ago(60_000), now)).toBe('1m');
    expect(ageOf(ago(3_599_000), now)).toBe('59m');
    expect(ageOf(ago(3_600_000), now)).toBe('1h');
    expect(ageOf(ago(86_400_000 * 3 + 5), now)).toBe('3d');
  });

  it('shows a clock running behind as 0s and an unreadable time as -', () => {
    expect(ageOf(ago(-5_000), now)).toBe('0s');
    expect(ageOf(null, now)).toBe('-');
    expect(ageOf('not a time', now)).toBe('-');
  });
});
