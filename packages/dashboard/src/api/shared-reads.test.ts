import { describe, expect, it } from 'vitest';
import { sharedReads } from './shared-reads.js';

describe('sharedReads', () => {
  it('shares a read within its window, per key', async () => {
    let clock = 1_000;
    let reads = 0;
    const shared = sharedReads(
      1_000,
      async (key) => `${key}:${++reads}`,
      () => clock,
    );
    expect(await shared('a')).toBe('a:1');
    clock += 500;
    expect(await shared('a')).toBe('a:1');
    expect(await shared('b')).toBe('b:2');
    clock += 600;
    expect(await shared('a')).toBe('a:3');
  });

  it('never hands a caller a read that began before its last change', async () => {
    let clock = 1_000;
    let reads = 0;
    const shared = sharedReads(
      1_000,
      async () => ++reads,
      () => clock,
    );
    expect(await shared('k', 0)).toBe(1);
    clock += 200; // a change seen now, after the read at 1 000
    const changedAt = clock;
    clock += 100;
    expect(await shared('k', changedAt)).toBe(2);
    expect(await shared('k', changedAt)).toBe(2);
  });

  it('forgets a failed read, so the next caller tries again', async () => {
    let reads = 0;
    const shared = sharedReads(1_000, async () => {
      reads += 1;
      if (reads === 1) throw new Error('redis went away');
      return reads;
    });
    await expect(shared('k')).rejects.toThrow('redis went away');
    expect(await shared('k')).toBe(2);
  });
});
