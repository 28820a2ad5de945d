// A bridge's Redis connection writes the commands of one turn of the event loop in one socket write
// (queue write-coalescing.ts): counted at the socket (each `_write` or `_writev` call is one write to the kernel),
// against a real redis-server, with the replies, their order and a script's NOSCRIPT fallback unchanged.
import { AuditWriter, coalesceWrites, createRedis, readAudit, sendCommands, waitReady } from '@rediacc/queue';
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
    // Passes are not merged: a command sent once the replies are in is a write of its own.
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

  it('the commands of every callback of one pass of the event loop leave in one write', async () => {
    const { redis, writes } = await connection(true);
    const key = `pass-${process.pid}`;
    const before = writes();
    // Two timers due together run in the same pass (its timers phase), each sending a command of its own.
    const replies = await Promise.all(
      [1, 2].map((n) => new Promise((resolve) => setTimeout(() => resolve(redis.rpush(key, String(n))), 1))),
    );
    expect(replies).toEqual([1, 2]);
    expect(writes() - before).toBe(1);
  });

  it('an audit entry rides on the next commands the connection sends, in their socket write', async () => {
    const { redis, writes } = await connection(true);
    const team = `ride${process.pid}`;
    // A flush window far longer than the test: only riding on another write sends the entry soon.
    const writer = new AuditWriter(
      redis,
      (error) => {
        throw error;
      },
      60_000,
    );
    const entry = (target: string) => ({
      actor: 'test',
      team,
      action: 'task.assigned' as const,
      target,
      outcome: 'ok' as const,
    });
    writer.appendParsed(entry('t0'));
    await writer.flush(); // the first flush learns the Redis user the entries are appended as
    const before = writes();
    writer.appendParsed(entry('t1'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(writes()).toBe(before); // nothing else sent: the entry waits
    expect(await redis.ping()).toBe('PONG');
    expect(writes()).toBe(before + 1); // the ping and the entry, in one write
    expect((await readAudit(redis, team)).entries.map((e) => e.target)).toEqual(['t0', 't1']);
    await writer.close();
  });

  it('sendCommands gives what a pipeline gives, in order, errors in place; on a coalescing connection without building one', async () => {
    const key = `send-${process.pid}`;
    const list = [
      ['rpush', key, 'a', 'b'],
      ['hget', key, 'f'],
      ['lrange', key, 0, -1],
    ] as [string, ...(string | number)[]][];
    const plain = await connection(false);
    const coalesced = await connection(true);
    let built = 0;
    const pipeline = coalesced.redis.pipeline.bind(coalesced.redis);
    coalesced.redis.pipeline = (...args: Parameters<Redis['pipeline']>) => {
      built++;
      return pipeline(...args);
    };
    const viaPipeline = await sendCommands(plain.redis, list);
    await plain.redis.del(key);
    const before = coalesced.writes();
    const direct = await sendCommands(coalesced.redis, list);
    expect(built).toBe(0);
    expect(coalesced.writes() - before).toBe(1);
    for (const replies of [viaPipeline, direct]) {
      expect(replies.map(([, reply]) => reply)).toEqual([2, undefined, ['a', 'b']]);
      expect(replies[1]?.[0]?.message).toMatch(/^WRONGTYPE/);
      expect(replies.filter(([error]) => error)).toHaveLength(1);
    }
  });
});
