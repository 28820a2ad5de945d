import type { AuditInput } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { AuditWriter } from './audit-writer.js';

const entry = (target: string): AuditInput => ({
  actor: 'b',
  team: 'A',
  action: 'task.assigned',
  target,
  outcome: 'ok',
});

/** A Redis stand-in that records each pipeline it is asked to send. */
function fakeRedis(fail?: Error) {
  const sent: string[][] = [];
  const redis = {
    async call(...args: string[]) {
      if (args.join(' ') !== 'ACL WHOAMI') throw new Error(`unexpected ${args.join(' ')}`);
      return 'rdc-A-bridge';
    },
    pipeline() {
      const batch: string[] = [];
      const p = {
        call(name: string, key: string, ...args: unknown[]) {
          batch.push(name === 'sadd' ? `${key} SADD ${args.join(' ')}` : `${key} ${args.join(' ')}`);
          return p;
        },
        async exec() {
          sent.push(batch);
          return batch.map(() => [fail ?? null, '1-0']);
        },
      };
      return p;
    },
  };
  return { redis: redis as unknown as Redis, sent };
}

describe('AuditWriter', () => {
  it('sends the entries appended within its flush window in one pipeline, capped, in order', async () => {
    const { redis, sent } = fakeRedis();
    const writer = new AuditWriter(redis, () => {}, 5);
    for (const t of ['t1', 't2', 't3']) writer.append(entry(t));
    expect(sent).toEqual([]);
    await new Promise((r) => setTimeout(r, 30));
    expect(sent).toHaveLength(1);
    const xadds = sent[0]!.filter((c) => !c.includes(' SADD '));
    expect(xadds.map((c) => c.split(' ')[0])).toEqual(Array(3).fill('rdc:{A}:audit:rdc-A-bridge'));
    expect(xadds[0]).toMatch(/^rdc:\{A\}:audit:rdc-A-bridge MAXLEN ~ 100000 \* actor b action task.assigned target t1/);
    expect(xadds.map((c) => / target (\S+) /.exec(c)?.[1])).toEqual(['t1', 't2', 't3']);
    expect(sent[0]!.filter((c) => c.includes(' SADD '))).toEqual(['rdc:{A}:audit-writers SADD rdc-A-bridge']);
  });

  it('reports an invalid entry at once and sends the valid ones; close sends what is left', async () => {
    const { redis, sent } = fakeRedis();
    const errors: string[] = [];
    const writer = new AuditWriter(redis, (e) => errors.push(e.message), 1_000);
    writer.append({ ...entry('x'), action: 'nope' as 'task.assigned' });
    writer.append(entry('t1'));
    expect(errors).toEqual([expect.stringMatching(/^invalid audit entry: action: action must be one of/)]);
    await writer.close();
    expect(sent.flat().filter((c) => !c.includes(' SADD '))).toHaveLength(1);
    await writer.close();
    expect(sent).toHaveLength(1);
  });

  it('reports a refused pipeline with the entries it carried', async () => {
    const { redis } = fakeRedis(new Error('NOPERM no'));
    const reported: number[] = [];
    const writer = new AuditWriter(redis, (_, entries) => reported.push(entries.length), 1);
    writer.append(entry('t1'));
    writer.append(entry('t2'));
    await writer.flush();
    expect(reported).toEqual([2]);
  });

  it('sends entries appended as parsed already in the same pipeline and order, without parsing them again', async () => {
    const { redis, sent } = fakeRedis();
    const errors: string[] = [];
    const writer = new AuditWriter(redis, (e) => errors.push(e.message), 1_000);
    writer.append(entry('t1'));
    writer.appendParsed(entry('t2'));
    // Not parsed: a caller's promise that it is valid is taken as given (this one is not, and is sent as is).
    writer.appendParsed({ ...entry('t3'), action: 'nope' as 'task.assigned' });
    await writer.close();
    expect(errors).toEqual([]);
    expect(sent).toHaveLength(1);
    const xadds = sent[0]!.filter((c) => !c.includes(' SADD '));
    expect(xadds.map((c) => / target (\S+) /.exec(c)?.[1])).toEqual(['t1', 't2', 't3']);
    expect(xadds[2]).toMatch(/ action nope /);
  });

  it('adds itself to a team’s writers set with its first entries there, then again only after a failure or listedMs', async () => {
    const failing = { now: false };
    const { redis, sent } = fakeRedis();
    const flaky = redis as unknown as { pipeline: () => { exec: () => Promise<unknown> } };
    const pipeline = flaky.pipeline.bind(redis);
    flaky.pipeline = () => {
      const p = pipeline();
      const exec = p.exec.bind(p);
      p.exec = async () => {
        const replies = (await exec()) as [Error | null, unknown][];
        return failing.now ? replies.map(() => [new Error('LOADING'), null]) : replies;
      };
      return p;
    };
    const errors: string[] = [];
    const writer = new AuditWriter(redis, (e) => errors.push(e.message), 1_000, 0, 40);
    /** The SADDs each flush sent (a flush sends one pipeline per team). */
    const flushes: string[][] = [];
    const flush = async (...entries: AuditInput[]) => {
      const before = sent.length;
      for (const e of entries) writer.append(e);
      await writer.flush();
      flushes.push(
        sent
          .slice(before)
          .flat()
          .filter((c) => c.includes(' SADD ')),
      );
    };
    await flush(entry('t1'));
    await flush(entry('t2'), { ...entry('t3'), team: 'B' });
    // A's set was sent with t1; B's is new.
    expect(flushes).toEqual([['rdc:{A}:audit-writers SADD rdc-A-bridge'], ['rdc:{B}:audit-writers SADD rdc-A-bridge']]);
    failing.now = true;
    await flush({ ...entry('t4'), team: 'C' });
    expect(errors).toEqual(['LOADING']);
    failing.now = false;
    // C's SADD went with the failed entries: sent again with the next ones; A's not yet.
    await flush({ ...entry('t5'), team: 'C' }, entry('t6'));
    await flush({ ...entry('t7'), team: 'C' });
    await new Promise((r) => setTimeout(r, 50));
    // After listedMs: listed again.
    await flush(entry('t8'));
    expect(flushes.slice(2)).toEqual([
      ['rdc:{C}:audit-writers SADD rdc-A-bridge'],
      ['rdc:{C}:audit-writers SADD rdc-A-bridge'],
      [],
      ['rdc:{A}:audit-writers SADD rdc-A-bridge'],
    ]);
  });
});
