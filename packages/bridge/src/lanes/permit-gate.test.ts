import type { Lane } from '@rediacc/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PermitGate, type PermitResult } from './permit-gate.js';

function granted(result: PermitResult): () => void {
  if (!result.granted) throw new Error(`not granted: ${result.reason}`);
  return result.release;
}

/** Whether a promise has settled by the time queued microtasks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('PermitGate', () => {
  it('grants up to its capacity, then makes tasks wait for a release', async () => {
    const gate = new PermitGate(2);
    const a = granted(await gate.acquire('normal'));
    granted(await gate.acquire('critical'));
    const third = gate.acquire('critical');
    expect(await settled(third)).toBe(false);
    a();
    expect((await third).granted).toBe(true);
    expect(gate.held()).toBe(2);
  });

  it('serves a waiting critical task before normal tasks that waited longer', async () => {
    const gate = new PermitGate(1);
    const release = granted(await gate.acquire('normal'));
    const order: Lane[] = [];
    const normal = gate.acquire('normal').then((r) => {
      order.push('normal');
      return r;
    });
    const critical = gate.acquire('critical').then((r) => {
      order.push('critical');
      return r;
    });
    release();
    granted(await critical)();
    await normal;
    expect(order).toEqual(['critical', 'normal']);
  });

  it('a second release of the same permit frees nothing more', async () => {
    const gate = new PermitGate(1);
    const release = granted(await gate.acquire('normal'));
    release();
    release();
    expect(gate.held()).toBe(0);
    granted(await gate.acquire('normal'));
    expect(await settled(gate.acquire('normal'))).toBe(false);
  });

  it('on close turns waiters and newcomers away as closing; held permits stay until released', async () => {
    const gate = new PermitGate(1);
    const release = granted(await gate.acquire('critical'));
    const waiter = gate.acquire('normal');
    gate.close();
    expect(await waiter).toEqual({ granted: false, reason: 'closing' });
    expect(await gate.acquire('critical')).toEqual({ granted: false, reason: 'closing' });
    expect(gate.held('critical')).toBe(1);
    release();
    expect(gate.held()).toBe(0);
  });

  it('stops waiting when the signal aborts, and refuses an aborted signal at once', async () => {
    const gate = new PermitGate(1);
    granted(await gate.acquire('normal'));
    const controller = new AbortController();
    const waiter = gate.acquire('critical', controller.signal);
    controller.abort();
    expect(await waiter).toEqual({ granted: false, reason: 'aborted' });
    expect(await gate.acquire('critical', controller.signal)).toEqual({ granted: false, reason: 'aborted' });
  });

  it('reports every change of the permits held', async () => {
    const seen: string[] = [];
    const gate = new PermitGate(3, (held) => seen.push(`${held.critical}/${held.normal}`));
    const a = granted(await gate.acquire('normal'));
    const b = granted(await gate.acquire('critical'));
    a();
    b();
    expect(seen).toEqual(['0/1', '1/1', '1/0', '0/0']);
  });

  it('property: never holds more than its capacity, and every waiter is served once permits free up', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.constantFrom<Lane>('critical', 'normal'), { minLength: 1, maxLength: 30 }),
        async (capacity, lanes) => {
          let most = 0;
          const gate = new PermitGate(capacity, (held) => {
            most = Math.max(most, held.critical + held.normal);
          });
          const results = lanes.map((lane) => gate.acquire(lane));
          // Release each permit once it is granted; all of them must be granted in the end.
          await Promise.all(
            results.map(async (r) => {
              const release = granted(await r);
              await Promise.resolve();
              release();
            }),
          );
          expect(most).toBeLessThanOrEqual(capacity);
          expect(gate.held()).toBe(0);
        },
      ),
    );
  });
});
