// Tasks end to end through the SDK and an in-process bridge: real redis-server, real sshd on loopback.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Bridge, startBridge } from '@rediacc/bridge';
import { createLogger, type TaskStatus } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/free-port.js';
import { type TestMachine, useHarness } from '../harness/index.js';

const WAIT = { timeoutMs: 20_000 };
const logger = createLogger({ name: 'test', level: 'silent' });
const h = useHarness();
let redisUrl: string;
let client: RediaccClient;
let machine: TestMachine;
let teamCount = 0;
const teamKeys: Record<string, string> = {};
const bridges: Bridge[] = [];

beforeAll(async () => {
  redisUrl = (await h.redis()).url;
  machine = await h.machine();
  client = createClient({ redis: redisUrl });
});

afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.close()));
});

afterAll(async () => {
  await client?.close();
});

/** A fresh team with `machine` registered as "m1" (or another machine/fingerprint when given). */
async function freshTeam(
  target: { host: string; port: number; user: string; privateKeyPath: string; hostKeyFingerprint: string } = machine,
  name = 'm1',
): Promise<string> {
  const team = `t-${process.pid}-${++teamCount}`;
  teamKeys[team] = (await client.teams.create(team)).secretKey;
  await addMachine(team, name, target);
  return team;
}

async function addMachine(
  team: string,
  name: string,
  target: { host: string; port: number; user: string; privateKeyPath: string; hostKeyFingerprint: string },
): Promise<void> {
  await client.machines.add({
    name,
    team,
    host: target.host,
    port: target.port,
    user: target.user,
    keyFile: target.privateKeyPath,
    hostKeyFingerprint: target.hostKeyFingerprint,
  });
}

async function bridgeFor(team: string, batchSize?: number): Promise<Bridge> {
  const bridge = await startBridge(
    { redisUrl, teams: [team], teamKeys, name: `bridge-${team}`, ...(batchSize === undefined ? {} : { batchSize }) },
    { logger },
  );
  bridges.push(bridge);
  return bridge;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('tasks over real sshd', () => {
  it('runs a task and ends COMPLETED with stdout and stderr in its output', async () => {
    const team = await freshTeam();
    await bridgeFor(team);
    const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'echo hello; echo oops >&2' });
    const done = await client.tasks.wait(taskId, WAIT);
    expect(done.status).toBe('COMPLETED');
    expect(done.output).toContain('hello');
    expect(done.output).toContain('oops');
    expect(done.exitCode).toBe(0);
    expect(done.startedAt).toMatch(ISO);
    expect(done.completedAt).toMatch(ISO);
    expect((await client.tasks.inspect(taskId)).status).toBe('COMPLETED');
    const listed = await client.tasks.list({ team, status: 'COMPLETED' });
    expect(listed.map((t) => t.taskId)).toContain(taskId);
  });

  it('ends FAILED with the exit code and the stderr tail when the command exits non-zero', async () => {
    const team = await freshTeam();
    await bridgeFor(team);
    const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'echo broken-thing >&2; exit 7' });
    const done = await client.tasks.wait(taskId, WAIT);
    expect(done.status).toBe('FAILED');
    expect(done.exitCode).toBe(7);
    expect(done.errorCode).toBe('RDC_COMMAND_FAILED');
    expect(done.error).toContain('broken-thing');
  });

  it('runs a P3 task before P5 tasks queued earlier in the same lane', async () => {
    const team = await freshTeam();
    const file = join(await h.tempDir('prio'), 'order.txt');
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      ids.push(
        (await client.tasks.create({ team, machine: 'm1', priority: 5, command: `echo p5-${i} >> ${file}` })).taskId,
      );
    }
    ids.push((await client.tasks.create({ team, machine: 'm1', priority: 3, command: `echo p3 >> ${file}` })).taskId);
    expect((await client.tasks.counts(team)).pendingByPriority).toMatchObject({ 3: 1, 5: 5 });
    await bridgeFor(team, 1);
    for (const id of ids) expect((await client.tasks.wait(id, WAIT)).status).toBe('COMPLETED');
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe('p3');
  });

  it('runs each task on its own machine when machines listen on different addresses', async () => {
    const [a, b] = await Promise.all([h.machine({ host: '127.0.0.2' }), h.machine({ host: '127.0.0.3' })]);
    const team = await freshTeam(a, 'ma');
    await addMachine(team, 'mb', b);
    await bridgeFor(team);
    const [ta, tb] = await client.tasks.createMany([
      { team, machine: 'ma', command: 'echo $SSH_CONNECTION' },
      { team, machine: 'mb', command: 'echo $SSH_CONNECTION' },
    ]);
    const [da, db] = await Promise.all([client.tasks.wait(ta!.taskId, WAIT), client.tasks.wait(tb!.taskId, WAIT)]);
    expect(da.status).toBe('COMPLETED');
    expect(db.status).toBe('COMPLETED');
    // SSH_CONNECTION: client-ip client-port server-ip server-port
    expect((da.output ?? '').trim().split(/\s+/).slice(2)).toEqual(['127.0.0.2', String(a.port)]);
    expect((db.output ?? '').trim().split(/\s+/).slice(2)).toEqual(['127.0.0.3', String(b.port)]);
  });

  it('rejects an unknown machine or team and a createMany with one bad spec, enqueuing nothing', async () => {
    const team = await freshTeam();
    await expect(client.tasks.create({ team, machine: 'nope', command: 'true' })).rejects.toMatchObject({
      code: 'RDC_MACHINE_UNKNOWN',
    });
    await expect(client.tasks.create({ team: `${team}-none`, machine: 'm1', command: 'true' })).rejects.toMatchObject({
      code: 'RDC_TEAM_UNKNOWN',
    });
    expect((await client.tasks.counts(team)).pending).toBe(0);
    await expect(
      client.tasks.createMany([
        { team, machine: 'm1', command: 'true' },
        { team, machine: 'm1', command: 'true', priority: 9 },
      ]),
    ).rejects.toMatchObject({ code: 'RDC_INVALID_INPUT' });
    expect((await client.tasks.counts(team)).pending).toBe(0);
    expect(await client.tasks.list({ team })).toEqual([]);
  });

  it('fails with RDC_HOST_KEY_MISMATCH and does not run the command when the host key differs', async () => {
    const team = await freshTeam({ ...machine, hostKeyFingerprint: `SHA256:${'A'.repeat(43)}` });
    const marker = join(await h.tempDir('hostkey'), 'ran');
    await bridgeFor(team);
    const { taskId } = await client.tasks.create({ team, machine: 'm1', command: `touch ${marker}` });
    const done = await client.tasks.wait(taskId, WAIT);
    expect(done.status).toBe('FAILED');
    expect(done.errorCode).toBe('RDC_HOST_KEY_MISMATCH');
    expect(done.error).toContain('host key mismatch');
    expect(existsSync(marker)).toBe(false);
  });

  it('creates a task once per taskId and rejects the same taskId for a different command', async () => {
    const team = await freshTeam();
    const taskId = '3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b';
    const first = await client.tasks.create({ team, machine: 'm1', command: 'echo once', taskId });
    const second = await client.tasks.create({ team, machine: 'm1', command: 'echo once', taskId });
    expect(first).toMatchObject({ taskId, created: true });
    expect(second).toMatchObject({ taskId, created: false });
    expect((await client.tasks.counts(team)).pending).toBe(1);
    await expect(client.tasks.create({ team, machine: 'm1', command: 'echo other', taskId })).rejects.toMatchObject({
      code: 'RDC_TASK_ID_CONFLICT',
    });
    expect((await client.tasks.counts(team)).pending).toBe(1);
  });

  it('moves a task through PENDING, PROCESSING and COMPLETED in that order', async () => {
    const team = await freshTeam();
    const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'sleep 2' });
    const seen: TaskStatus[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const { status } = await client.tasks.inspect(taskId);
        if (seen.at(-1) !== status) seen.push(status);
        if (status === 'COMPLETED' || status === 'FAILED') return;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 200));
      await bridgeFor(team);
      expect((await client.tasks.wait(taskId, WAIT)).status).toBe('COMPLETED');
      await poller;
    } finally {
      polling = false;
      await poller.catch(() => {});
    }
    const order = ['PENDING', 'PROCESSING', 'COMPLETED'].map((s) => seen.indexOf(s as TaskStatus));
    expect(
      order.every((i) => i >= 0),
      `seen: ${seen.join(' → ')}`,
    ).toBe(true);
    expect(order).toEqual([...order].sort((x, y) => x - y));
  });

  it('lets a running task finish when the bridge closes', async () => {
    const team = await freshTeam();
    const bridge = await bridgeFor(team);
    const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'sleep 1; echo done' });
    const deadline = Date.now() + 10_000;
    while ((await client.tasks.inspect(taskId)).status !== 'PROCESSING') {
      if (Date.now() > deadline) throw new Error('task never reached PROCESSING');
      await new Promise((r) => setTimeout(r, 25));
    }
    await bridge.close();
    const done = await client.tasks.inspect(taskId);
    expect(done.status).toBe('COMPLETED');
    expect(done.output).toContain('done');
  });

  it('fails a task on a machine that refuses connections while a healthy machine in the team completes', async () => {
    const dead = { ...machine, port: await freePort() };
    const team = await freshTeam(dead, 'dead');
    await addMachine(team, 'live', machine);
    await bridgeFor(team);
    const [bad, good] = await client.tasks.createMany([
      { team, machine: 'dead', command: 'echo never' },
      { team, machine: 'live', command: 'echo alive' },
    ]);
    const [b, g] = await Promise.all([client.tasks.wait(bad!.taskId, WAIT), client.tasks.wait(good!.taskId, WAIT)]);
    expect(b.status).toBe('FAILED');
    expect(b.errorCode, `error: ${b.error}`).toBe('RDC_SSH_CONNECT');
    expect(g.status).toBe('COMPLETED');
    expect(g.output).toContain('alive');
  });
});
