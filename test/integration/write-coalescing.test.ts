// A bridge's Redis connection writes the commands of one turn of the event loop in one socket write
// (queue write-coalescing.ts): counted at the socket (each `_write` or `_writev` call is one write to the kernel),
// against a real redis-server, with the replies, their order and a script's NOSCRIPT fallback unchanged.
import { coalesceWrites, createRedis, waitReady } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../harness/index.js';

const h = useHarness();

async function connection(coalesced: boolean): Promise<{ redis: Redis; writes: () => number }> {
  const url = (await h.redis()).url;
  const redis = createRedis(url, 'worker');
  h.own(async () => redis.disconnect());
  await waitReady(redis, url);
  if (coalesced) coalesceWrites(redis);
  const socket = redis.stream as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  let writes = 0;
  for (const method of ['_write', '_writev'] as const) {
    const original = socket[method];
    socket[method] = function (this: unknown, ...args: unknown[]) {
      writes++;
      return original?.apply(this, args);
    };
  }
  return { redis, writes: () => writes };
}

/** Five commands, a pipeline and a script sent in one turn; their replies. */
function oneTurn(redis: Redis, key: string): Promise<unknown[]> {
  return Promise.all([
    ...[1, 2, 3, 4, 5].map((n) => redis.rpush(key, String(n))),
    redis.pipeline().lrange(key, 0, -1).llen(key).exec(),
    redis.eval("return redis.call('LLEN', KEYS[1])", 1, key),
  ]);
}

describe('write coalescing', () => {
  it('sends the commands of one turn in one socket write, with the same replies in the same order', async () => {
    const plain = await connection(false);
    const coalesced = await connection(true);
    const expected = [
      1,
      2,
      3,
      4,
      5,
      [
        [null, ['1', '2', '3', '4', '5']],
        [null, 5],
      ],
      5,
    ];
    expect(await oneTurn(plain.redis, `plain-${process.pid}`)).toEqual(expected);
    expect(await oneTurn(coalesced.redis, `coalesced-${process.pid}`)).toEqual(expected);
    // Without it: a write per command and one for the pipeline.
    expect(plain.writes()).toBe(7);
    expect(coalesced.writes()).toBe(1);
    // Turns are not merged: the next turn's command is a write of its own.
    await coalesced.redis.ping();
    expect(coalesced.writes()).toBe(2);
  });

  it('a script Redis does not know yet still falls back to sending its text (NOSCRIPT), and blocking reads work', async () => {
    const { redis } = await connection(true);
    await redis.script('FLUSH');
    redis.defineCommand('twice', { numberOfKeys: 0, lua: 'return tonumber(ARGV[1]) * 2' });
    const twice = (n: number) => (redis as unknown as { twice(n: number): Promise<number> }).twice(n);
    expect(await Promise.all([twice(2), twice(3), redis.ping()])).toEqual([4, 6, 'PONG']);
    const key = `blocking-${process.pid}`;
    const blocking = redis.duplicate();
    h.own(async () => blocking.disconnect());
    const popped = blocking.bzpopmin(key, 5);
    await redis.zadd(key, 1, 'a');
    expect(await popped).toEqual([key, 'a', '1']);
  });
});
