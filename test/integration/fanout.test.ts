// Fan-out batches and pool tasks on real sshd machines and a real bridge: --max-parallel holds a rolling run to N at
// once (timestamps written on the machines), --stop-on-failure cancels what has not started once one fails, a batch
// is cancelled as a whole, and a pool task goes to the idle machine rather than the busy one.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Bridge, type BridgeConfigInput, startBridge } from '@rediacc/bridge';
import { createLogger, queueNameFor, teamPrefix } from '@rediacc/core';
import { type BatchView, createClient, type RediaccClient } from '@rediacc/producer';
import { QueueEvents } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loggedCommand, maxOverlap, type TestMachine, useHarness, waitFor } from '../harness/index.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const h = useHarness();
const teamKeys: Record<string, string> = {};
let redisUrl: string;
let client: RediaccClient;
let machines: TestMachine[];
let teamCount = 0;
const bridges: Bridge[] = [];

beforeAll(async () => {
  redisUrl = (await h.redis()).url;
  machines = await Promise.all(Array.from({ length: 5 }, () => h.machine()));
  client = createClient({ redis: redisUrl });
}, 120_000);

afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.close()));
});

afterAll(async () => {
  await client?.close();
});

/** A team with machines w1…wN (one sshd each), tagged role=web, and w-odd also env=prod. */
async function webTeam(count = 5): Promise<string> {
  const team = `fan-${process.pid}-${++teamCount}`;
  const { secretKey } = await client.teams.create(team);
  teamKeys[team] = secretKey;
  for (const [i, m] of machines.slice(0, count).entries()) {
    await client.machines.add({
      name: `w${i + 1}`,
      team,
      host: m.host,
      port: m.port,
      user: m.user,
      keyFile: m.privateKeyPath,
      hostKeyFingerprint: m.hostKeyFingerprint,
      tags: { role: 'web', ...(i % 2 === 0 && { env: 'prod' }) },
    });
  }
  return team;
}

async function bridgeFor(team: string, config: Partial<BridgeConfigInput> = {}): Promise<Bridge> {
  const bridge = await startBridge({ teamKeys, redisUrl, teams: [team], name: `${team}-b`, ...config }, { logger });
  bridges.push(bridge);
  return bridge;
}

async function finished(batchId: string): Promise<BatchView> {
  for await (const event of client.batches.watch(batchId, { pollMs: 200 })) {
    if (event.type === 'done') return event.batch;
  }
  throw new Error('watch ended without done');
}

describe('fan-out batches', () => {
  it('--max-parallel 2 over 5 tagged machines: every machine runs it once, never more than 2 at once', async () => {
    const team = await webTeam();
    const events = new QueueEvents(queueNameFor(3), { connection: { url: redisUrl }, prefix: teamPrefix(team) });
    h.own(() => events.close());
    await events.waitUntilReady();
    let delayed = 0;
    events.on('delayed', () => delayed++);
    // The safety net is far beyond this test: the tasks waiting for a batch slot start because a release wakes them.
    await bridgeFor(team, { batchSize: 5, parkedCheckMs: 120_000 });
    const log = join(await h.tempDir('fan'), 'runs.log');
    const created = await client.batches.create({
      team,
      select: 'role=web',
      command: loggedCommand(log, '$RDC_TASK_ID', 'sleep 0.6'),
      maxParallel: 2,
    });
    expect(created.machines).toEqual(['w1', 'w2', 'w3', 'w4', 'w5']);
    const view = await finished(created.batchId);
    expect(view.summary).toEqual({ completed: 5, failed: 0, cancelled: 0, pending: 0 });
    const started = (await readFile(log, 'utf8')).split('\n').filter((l) => l.startsWith('s '));
    expect(started.map((l) => l.split(' ')[1]).sort()).toEqual([...created.taskIds].sort());
    expect(await maxOverlap(log)).toBeLessThanOrEqual(2);
    // The three beyond the first two were parked (at most) once each, never put back to poll for a slot.
    expect(delayed).toBeLessThanOrEqual(3);
    // The tasks carry their batch in their job data, and the batch lists them in machine order.
    const tasks = await client.batches.tasks(created.batchId);
    expect(tasks.map((t) => t.machine)).toEqual(created.machines);
    expect(tasks.map((t) => t.batchId)).toEqual(created.machines.map(() => created.batchId));
  }, 120_000);

  it('--stop-on-failure: once one machine fails, the rest are CANCELLED and none of their commands ran', async () => {
    const team = await webTeam();
    const log = join(await h.tempDir('fan'), 'runs.log');
    // w1 fails; created before any bridge serves the team, so a bridge of one slot claims w1's task first.
    const created = await client.batches.create({
      team,
      machines: ['w1', 'w2', 'w3', 'w4', 'w5'],
      command: `echo "ran $RDC_TASK_ID" >> ${log}; test "$RDC_TASK_ID" != "$(cat ${log}.first)"`,
      stopOnFailure: true,
    });
    await writeFile(`${log}.first`, created.taskIds[0]!);
    await bridgeFor(team, { batchSize: 1 });
    const view = await finished(created.batchId);
    expect(view.summary).toEqual({ completed: 0, failed: 1, cancelled: 4, pending: 0 });
    expect(view.tasks[0]).toMatchObject({ machine: 'w1', status: 'FAILED', exitCode: 1 });
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([`ran ${created.taskIds[0]}`]);
  }, 120_000);

  it('is enqueued all or none: one unknown machine adds no task and no batch', async () => {
    const team = await webTeam(2);
    await expect(client.batches.create({ team, machines: ['w1', 'nosuch'], command: 'true' })).rejects.toMatchObject({
      code: 'RDC_MACHINE_UNKNOWN',
    });
    expect((await client.tasks.counts(team)).pending).toBe(0);
    await expect(client.batches.create({ team, select: 'role=db', command: 'true' })).rejects.toMatchObject({
      code: 'RDC_NO_MACHINES',
    });
  }, 60_000);

  it('cancel: every unfinished task of the batch becomes CANCELLED and never runs', async () => {
    const team = await webTeam(3);
    const created = await client.batches.create({ team, select: { env: 'prod' }, command: 'true' });
    expect(created.machines).toEqual(['w1', 'w3']);
    const results = await client.batches.cancel(created.batchId);
    expect(results.map((r) => r.outcome)).toEqual(['cancelled', 'cancelled']);
    const view = await client.batches.inspect(created.batchId);
    expect(view.summary).toEqual({ completed: 0, failed: 0, cancelled: 2, pending: 0 });
    // One entry for the batch as a whole on create and on cancel, beside each task's own entries.
    const { entries } = await client.audit.read({ team });
    const forBatch = entries.filter((e) => e.target === created.batchId);
    expect(forBatch.map((e) => e.action).sort()).toEqual(['batch.cancel', 'batch.create']);
    expect(forBatch.find((e) => e.action === 'batch.create')?.detail).toMatchObject({
      select: 'env=prod',
      tasks: 2,
      stopOnFailure: false,
    });
    expect(forBatch.find((e) => e.action === 'batch.cancel')?.detail).toMatchObject({ tasks: 2, cancelled: 2 });
    expect(entries.filter((e) => e.action === 'task.create' && created.taskIds.includes(e.target))).toHaveLength(2);
  }, 60_000);
});

describe('pool tasks', () => {
  it('run on the idle machine of the pool, not on the busy one', async () => {
    const team = await webTeam(2);
    await bridgeFor(team, { batchSize: 4 });
    // w1 comes first by name: busy with a long task, the pool must pass it over for w2.
    const busy = await client.tasks.create({ team, machine: 'w1', command: 'sleep 30' });
    await waitFor(
      'the busy task to run',
      async () => ((await client.tasks.inspect(busy.taskId)).status === 'PROCESSING' ? true : undefined),
      30_000,
    );
    const pooled = await client.pools.create({ team, pool: 'role=web', command: 'echo pooled' });
    expect(pooled).toMatchObject({ machine: 'w2', pool: { machine: 'w2', running: 0, candidates: 2 } });
    expect((await client.tasks.wait(pooled.taskId, { timeoutMs: 30_000 })).status).toBe('COMPLETED');
    await client.tasks.cancel([busy.taskId]);
  }, 120_000);
});
