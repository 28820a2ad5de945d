// The critical lane: P1/P2 tasks have their own queue per team and reserved bridge capacity, so they run
// while every normal slot is busy; every read (inspect, list, counts, wait, cancel) sees both lanes.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TaskStatus, taskKey } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  holdCommand,
  loggedCommand,
  maxOverlap,
  startTeamBridges,
  type TeamBridges,
  useHarness,
} from '../harness/index.js';

const WAIT = { timeoutMs: 30_000 };
const h = useHarness();
let fleet: TeamBridges;
let client: RediaccClient;
const stopFiles: string[] = [];

beforeAll(async () => {
  fleet = await startTeamBridges(h, 'lanes');
  client = fleet.client;
});

afterEach(async () => {
  // Release any long-running hold before closing bridges, which wait for running tasks.
  await Promise.all(stopFiles.splice(0).map((f) => writeFile(f, '')));
  await fleet?.closeBridges();
});

async function stopFile(): Promise<string> {
  const file = join(await h.tempDir('stop'), 'stop');
  stopFiles.push(file);
  return file;
}

async function until(taskId: string, status: TaskStatus): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const view = await client.tasks.inspect(taskId);
    if (view.status === status) return;
    if (Date.now() > deadline) throw new Error(`task ${taskId} never reached ${status}; it is ${view.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function statuses(ids: string[]): Promise<TaskStatus[]> {
  return Promise.all(ids.map(async (id) => (await client.tasks.inspect(id)).status));
}

describe('critical lane', () => {
  it('a P1 task completes while every normal slot runs long P5 work and more P5 tasks wait', async () => {
    const team = await fleet.freshTeam();
    const stop = await stopFile();
    await fleet.bridgeFor(team, { batchSize: 2, criticalSlots: 1 });
    const p5 = await client.tasks.createMany(
      Array.from({ length: 4 }, () => ({ team, machine: 'm1', priority: 5, command: holdCommand(stop, 30) })),
    );
    const ids = p5.map((t) => t.taskId);
    await until(ids[0]!, 'PROCESSING');
    await until(ids[1]!, 'PROCESSING');

    const p1 = await client.tasks.create({ team, machine: 'm1', priority: 1, command: 'echo critical' });
    const done = await client.tasks.wait(p1.taskId, WAIT);
    expect(done.status).toBe('COMPLETED');
    expect(done.output).toContain('critical');
    // The ordering check: the P1 ran to the end while every P5 was still running or waiting.
    expect(await statuses(ids)).toEqual(['PROCESSING', 'PROCESSING', 'PENDING', 'PENDING']);

    await writeFile(stop, '');
    for (const id of ids) expect((await client.tasks.wait(id, WAIT)).status).toBe('COMPLETED');
  });

  it('a burst of P1 tasks uses more than one slot; P5 tasks never more than the batch size', async () => {
    const team = await fleet.freshTeam();
    const log = join(await h.tempDir('burst'), 'runs.log');
    const created = await client.tasks.createMany([
      ...Array.from({ length: 6 }, () => ({
        team,
        machine: 'm1',
        priority: 5,
        command: loggedCommand(log, 'P5', 'sleep 0.3'),
      })),
      ...Array.from({ length: 100 }, () => ({
        team,
        machine: 'm1',
        priority: 1,
        command: loggedCommand(log, 'P1', 'sleep 0.1'),
      })),
    ]);
    await fleet.bridgeFor(team, { batchSize: 3, criticalSlots: 1 });
    for (const { taskId } of created) expect((await client.tasks.wait(taskId, WAIT)).status).toBe('COMPLETED');
    expect(await maxOverlap(log, 'P1')).toBeGreaterThan(1);
    expect(await maxOverlap(log, 'P5')).toBeLessThanOrEqual(3);
    expect(await maxOverlap(log)).toBeLessThanOrEqual(3 + 1);
  });

  it('runs a waiting P1 before P2 tasks queued earlier', async () => {
    const team = await fleet.freshTeam();
    const stop = await stopFile();
    const dir = await h.tempDir('order');
    const go = join(dir, 'go');
    const order = join(dir, 'order.txt');
    // One normal and one critical slot: a P5 holds the normal one, a gated P1 the critical one.
    await fleet.bridgeFor(team, { batchSize: 1, criticalSlots: 1 });
    const hold = await client.tasks.create({ team, machine: 'm1', priority: 5, command: holdCommand(stop, 30) });
    await until(hold.taskId, 'PROCESSING');
    const gate = await client.tasks.create({
      team,
      machine: 'm1',
      priority: 1,
      command: `while [ ! -e ${go} ]; do sleep 0.05; done`,
    });
    await until(gate.taskId, 'PROCESSING');

    const waiting = [];
    for (let i = 1; i <= 3; i++) {
      waiting.push(
        await client.tasks.create({ team, machine: 'm1', priority: 2, command: `echo p2-${i} >> ${order}` }),
      );
    }
    waiting.push(await client.tasks.create({ team, machine: 'm1', priority: 1, command: `echo p1 >> ${order}` }));
    expect(await statuses(waiting.map((t) => t.taskId))).toEqual(['PENDING', 'PENDING', 'PENDING', 'PENDING']);
    await writeFile(go, '');
    for (const { taskId } of waiting) expect((await client.tasks.wait(taskId, WAIT)).status).toBe('COMPLETED');
    const lines = (await readFile(order, 'utf8')).trim().split('\n');
    expect(lines).toEqual(['p1', 'p2-1', 'p2-2', 'p2-3']);
  });
});

describe('reading both lanes', () => {
  it('keeps P1–P2 in the critical queue and P3–P5 in the tasks queue; inspect, list, counts and wait see both', async () => {
    const team = await fleet.freshTeam();
    const [p1, p2, p5] = await client.tasks.createMany([
      { team, machine: 'm1', priority: 1, command: 'echo one' },
      { team, machine: 'm1', priority: 2, command: 'echo two' },
      { team, machine: 'm1', priority: 5, command: 'echo five' },
    ]);
    expect(await client.redis.exists(taskKey(team, 'critical', p1!.taskId))).toBe(1);
    expect(await client.redis.exists(taskKey(team, 'critical', p2!.taskId))).toBe(1);
    expect(await client.redis.exists(taskKey(team, 'normal', p5!.taskId))).toBe(1);
    expect(taskKey(team, 'critical', 'x')).toBe(`rdc:{${team}}:critical:x`);
    expect(taskKey(team, 'normal', 'x')).toBe(`rdc:{${team}}:tasks:x`);

    expect(await client.tasks.counts(team)).toMatchObject({
      pending: 3,
      pendingByPriority: { 1: 1, 2: 1, 3: 0, 4: 0, 5: 1 },
    });
    const pending = await client.tasks.list({ team, status: 'PENDING', sort: 'priority' });
    expect(pending.map((t) => t.taskId)).toEqual([p1!.taskId, p2!.taskId, p5!.taskId]);
    expect((await client.tasks.inspect(p1!.taskId)).priority).toBe(1);

    const [cancelled] = await client.tasks.cancel([p2!.taskId]);
    expect(cancelled?.outcome).toBe('cancelled');
    expect((await client.tasks.wait(p2!.taskId, WAIT)).status).toBe('CANCELLED');
    expect(await client.tasks.counts(team)).toMatchObject({ pending: 2, cancelled: 1 });

    await fleet.bridgeFor(team, { batchSize: 1, criticalSlots: 1 });
    const [one, five] = await Promise.all([client.tasks.wait(p1!.taskId, WAIT), client.tasks.wait(p5!.taskId, WAIT)]);
    expect(one.output).toContain('one');
    expect(five.output).toContain('five');
    expect(await client.tasks.counts(team)).toMatchObject({ pending: 0, completed: 2 });
    const listed = await client.tasks.list({ team });
    expect(listed.map((t) => t.status).sort()).toEqual(['CANCELLED', 'COMPLETED', 'COMPLETED']);
  });

  it('detects a taskId in any lane: the same create is idempotent, another priority is a conflict', async () => {
    const team = await fleet.freshTeam();
    const taskId = 'a1b2c3d4-0000-4000-8000-00000000c0de';
    const spec = { team, machine: 'm1', priority: 1, command: 'echo once', taskId };
    expect(await client.tasks.create(spec)).toMatchObject({ taskId, created: true });
    expect(await client.tasks.create(spec)).toMatchObject({ taskId, created: false });
    await expect(client.tasks.create({ ...spec, priority: 5 })).rejects.toMatchObject({
      code: 'RDC_TASK_ID_CONFLICT',
    });
    await expect(
      client.tasks.createMany([
        { team, machine: 'm1', priority: 4, command: 'echo fresh' },
        { ...spec, priority: 4 },
      ]),
    ).rejects.toMatchObject({ code: 'RDC_TASK_ID_CONFLICT' });
    expect(await client.tasks.createMany([spec])).toMatchObject([{ taskId, created: false }]);
    expect(await client.tasks.counts(team)).toMatchObject({ pending: 1, pendingByPriority: { 1: 1, 4: 0, 5: 0 } });
  });
});
