import { describe, expect, it } from 'vitest';
import { atPassEnd } from './pass-end.js';

const nextPass = () => new Promise((resolve) => setImmediate(resolve));

describe('atPassEnd', () => {
  it('runs the flushes of one pass together, in order, after the pass’s other callbacks, with one setImmediate', async () => {
    const order: string[] = [];
    const schedule = globalThis.setImmediate;
    let scheduled = 0;
    globalThis.setImmediate = ((...args: Parameters<typeof setImmediate>) => {
      scheduled++;
      return schedule(...args);
    }) as typeof setImmediate;
    try {
      atPassEnd(() => order.push('a'));
      atPassEnd(() => order.push('b'));
      atPassEnd(() => order.push('c'));
    } finally {
      globalThis.setImmediate = schedule;
    }
    expect(scheduled).toBe(1);
    await Promise.resolve();
    order.push('microtask');
    await nextPass();
    expect(order).toEqual(['microtask', 'a', 'b', 'c']);
  });

  it('a flush queued while flushes run runs in the next pass; one that throws keeps none of the others from running', async () => {
    const order: string[] = [];
    const thrown: unknown[] = [];
    const onError = (error: unknown) => thrown.push(error);
    process.prependListener('uncaughtException', onError);
    try {
      atPassEnd(() => {
        order.push('first');
        atPassEnd(() => order.push('later'));
      });
      atPassEnd(() => {
        throw new Error('boom');
      });
      atPassEnd(() => order.push('after the throw'));
      await nextPass();
      expect(order).toEqual(['first', 'after the throw']);
      await nextPass();
      await nextPass();
      expect(order).toEqual(['first', 'after the throw', 'later']);
      expect(thrown).toEqual([new Error('boom')]);
    } finally {
      process.removeListener('uncaughtException', onError);
    }
  });
});
