// What an audit entry stores: its stream key says the team and the writer, so an entry leaves out its team and an
// actor that is the writer; a reader fills both in. A task.create entry stores `created` only when false (a repeated
// taskId). Entries written with every field (before) read the same.
import { randomUUID } from 'node:crypto';
import { registryKeys } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { readAudit } from '@rediacc/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeamWithMachine, useHarness } from '../harness/index.js';

const h = useHarness();
const team = `afields-${process.pid}`;
let redisUrl: string;
let client: RediaccClient;
let raw: Redis;

beforeAll(async () => {
  redisUrl = (await h.redis()).url;
  client = createClient({ redis: redisUrl });
  raw = new Redis(redisUrl);
  await addTeamWithMachine(client, team, await h.machine());
});

afterAll(async () => {
  await raw?.quit();
  await client?.close();
});

describe('audit entry fields', () => {
  it("leaves out the stream's team and an actor that is its writer, and reads them back", async () => {
    const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'true', priority: 4 });
    const stream = registryKeys.auditStream(team, 'default');
    const [[, fields] = ['', []]] = (await raw.xrange(stream, '-', '+')).filter(([, f]) => f.includes(taskId));
    expect(fields).toEqual([
      'action',
      'task.create',
      'target',
      taskId,
      'outcome',
      'ok',
      'detail',
      JSON.stringify({ machine: 'm1', priority: 4 }),
    ]);
    const entry = (await readAudit(raw, team)).entries.find((e) => e.target === taskId);
    expect(entry).toMatchObject({ team, actor: 'default', user: 'default', action: 'task.create', outcome: 'ok' });
    expect(entry?.detail).toEqual({ machine: 'm1', priority: 4, created: true });
  });

  it('stores created: false for a create whose taskId named a task already, and reads both back', async () => {
    const taskId = randomUUID();
    const spec = { team, machine: 'm1', command: 'true', priority: 4, taskId };
    expect((await client.tasks.create(spec)).created).toBe(true);
    expect((await client.tasks.create(spec)).created).toBe(false);
    const stream = registryKeys.auditStream(team, 'default');
    const stored = (await raw.xrange(stream, '-', '+'))
      .filter(([, f]) => f.includes(taskId))
      .map(([, f]) => f[f.indexOf('detail') + 1]);
    expect(stored).toEqual([
      JSON.stringify({ machine: 'm1', priority: 4 }),
      JSON.stringify({ machine: 'm1', priority: 4, created: false }),
    ]);
    const read = (await readAudit(raw, team)).entries.filter((e) => e.target === taskId);
    expect(read.map((e) => e.detail?.created)).toEqual([true, false]);
  });

  it('keeps an actor that is not the writer (RDC_ACTOR), and reads entries written with every field', async () => {
    const named = createClient({ redis: redisUrl, actor: 'alice@ops' });
    try {
      const { taskId } = await named.tasks.create({ team, machine: 'm1', command: 'true', priority: 4 });
      const entry = (await readAudit(raw, team)).entries.find((e) => e.target === taskId);
      expect(entry).toMatchObject({ team, actor: 'alice@ops', user: 'default' });
    } finally {
      await named.close();
    }
    // As the code before wrote it: actor and team in the entry, and a create's `created: true`.
    const stream = registryKeys.auditStream(team, 'default');
    const detail = JSON.stringify({ machine: 'm1', priority: 2, created: true });
    await raw.xadd(stream, '*', 'action', 'task.create', 'target', 'old-0', 'outcome', 'ok', 'detail', detail);
    await raw.xadd(
      stream,
      '*',
      'actor',
      'bob',
      'team',
      team,
      'action',
      'task.cancel',
      'target',
      'old-1',
      'outcome',
      'ok',
    );
    const old = (await readAudit(raw, team)).entries.find((e) => e.target === 'old-1');
    expect(old).toMatchObject({ team, actor: 'bob', user: 'default', action: 'task.cancel' });
    const oldCreate = (await readAudit(raw, team)).entries.find((e) => e.target === 'old-0');
    expect(oldCreate?.detail).toEqual({ machine: 'm1', priority: 2, created: true });
  });
});
