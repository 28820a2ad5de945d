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
        xadd(key: string, ...args: unknown[]) {
          batch.push(`${key} ${args.join(' ')}`);
          return p;
        },
        sadd(key: string, member: string) {
          batch.push(`${key} SADD ${member}`);
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
});
