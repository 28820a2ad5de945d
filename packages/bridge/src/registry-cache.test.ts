import { describe, expect, it } from 'vitest';
import { RefreshingCache } from './registry-cache.js';

/** A cache on a clock the test moves, and a loader that counts its calls (each resolves with its number). */
function setup(ttlMs = 1_000) {
  let now = 0;
  const errors: string[] = [];
  const cache = new RefreshingCache<number>(
    ttlMs,
    (key) => errors.push(key),
    () => now,
  );
  let loads = 0;
  let next: () => Promise<number> = async () => ++loads;
  return {
    cache,
    errors,
    get loads() {
      return loads;
    },
    at(ms: number) {
      now = ms;
    },
    get: (key = 'm', tag = '') => cache.get(key, tag, () => next()),
    failNext(error: Error) {
      next = async () => {
        loads++;
        throw error;
      };
    },
    hangNext() {
      next = () => {
        loads++;
        return new Promise<number>(() => {});
      };
    },
  };
}

describe('RefreshingCache', () => {
  it('serves an entry younger than half its TTL without loading', async () => {
    const c = setup();
    expect(await c.get()).toBe(1);
    c.at(499);
    expect(await c.get()).toBe(1);
    expect(c.loads).toBe(1);
  });

  it('past half its TTL, a read gets the entry at once and the entry reloads in the background', async () => {
    const c = setup();
    await c.get();
    c.at(600);
    c.hangNext(); // a reload that never answers: the read must not wait for it
    expect(await c.get()).toBe(1);
    expect(await c.get()).toBe(1);
    expect(c.loads).toBe(2); // one reload in flight at a time
  });

  it('a background reload replaces the entry and starts its TTL from when it began', async () => {
    const c = setup();
    await c.get();
    c.at(600);
    expect(await c.get()).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await c.get()).toBe(2);
    c.at(1_500);
    expect(await c.get()).toBe(2); // loaded from 600 on: still within its TTL at 1,500 (and reloading again)
    expect(c.loads).toBe(3);
  });

  it('never serves an entry past its TTL: the read waits for a load, and a failed load throws', async () => {
    const c = setup();
    await c.get();
    c.at(1_000);
    c.failNext(new Error('machine "m" is not registered'));
    await expect(c.get()).rejects.toThrow('not registered');
  });

  it('a failed background reload keeps the entry until it expires, and is reported', async () => {
    const c = setup();
    await c.get();
    c.at(600);
    c.failNext(new Error('redis down'));
    expect(await c.get()).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(c.errors).toEqual(['m']);
    c.at(999);
    expect(await c.get()).toBe(1);
    c.at(1_000);
    await expect(c.get()).rejects.toThrow('redis down');
  });

  it('an entry loaded for another tag (a changed machine record) is a miss', async () => {
    const c = setup();
    expect(await c.get('m', 'record-1')).toBe(1);
    expect(await c.get('m', 'record-2')).toBe(2);
  });

  it('with a TTL of 0 every read loads', async () => {
    const c = setup(0);
    expect(await c.get()).toBe(1);
    expect(await c.get()).toBe(2);
  });
});
