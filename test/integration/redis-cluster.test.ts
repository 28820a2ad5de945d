// The fleet on a real 3-master Redis Cluster (issue 14): the CLI and a bridge process get only
// REDIS_CLUSTER_NODES (+ REDIS_PASSWORD); teams chosen so that each lands on a different master carry tasks end
// to end through one bridge serving all of them; list, inspect and cancel work through the real CLI, as do the
// audit follow and the console across shards, and `acl apply` (users on every node). Which master holds each
// team's keys is read from CLUSTER KEYSLOT / CLUSTER SLOTS and printed.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatRedisTarget, parseHostPorts } from '@rediacc/core';
import { createDashboard } from '@rediacc/dashboard';
import { createClient, type RediaccClient } from '@rediacc/producer';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, type CliRun, machineAddArgs, runCli } from '../harness/cli-run.js';
import { addTeamWithMachine, type TestMachine, useHarness, waitFor } from '../harness/index.js';
import { type RedisCluster, startRedisCluster } from '../harness/redis-cluster.js';

const h = useHarness();
let cluster: RedisCluster;
let admin: Redis;
let client: RediaccClient;
let env: NodeJS.ProcessEnv;
let machine: TestMachine;
let bridge: ChildProcess;
let bridgeLog = '';
/** team → port of the master that holds its hash slot */
const shardOf = new Map<string, number>();
/** team → the task the first test ran there */
const firstTasks = new Map<string, string>();

// Generous: a node start takes seconds on a loaded box.
function rediacc(args: string[], timeoutMs = 45_000): Promise<CliRun> {
  return runCli(args, { env, timeoutMs });
}

async function ok(args: string[]): Promise<string> {
  const run = await rediacc(args);
  expect(run.code, `rediacc ${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

/** slot → port of the master serving it */
async function masterOfSlot(slot: number): Promise<number> {
  const ranges = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  const range = ranges.find(([from, to]) => slot >= from && slot <= to);
  if (!range) throw new Error(`no master serves slot ${slot}`);
  return range[2][1];
}

async function slotOf(key: string): Promise<number> {
  return Number(await admin.call('CLUSTER', 'KEYSLOT', key));
}

beforeAll(async () => {
  cluster = await startRedisCluster(h);
  admin = await cluster.admin();
  machine = await h.machine();
  env = { ...process.env, ...cluster.env, RDC_HOME: await h.tempDir('rdc-home-'), RDC_LOG_LEVEL: 'warn' };
  delete env.REDIS_URL;
  delete env.RDC_ACTOR;
  // One team per master: try names until each master has one.
  for (let i = 0; shardOf.size < 3 && i < 200; i++) {
    const team = `team-${i}`;
    const port = await masterOfSlot(await slotOf(`rdc:{${team}}:tasks:x`));
    if (![...shardOf.values()].includes(port)) shardOf.set(team, port);
  }
  client = createClient({ redis: { clusterNodes: cluster.env.REDIS_CLUSTER_NODES!, password: cluster.password } });
  h.own(() => client.close());
  // The CLI registers one team's machine; the SDK (same connection factory) the others.
  const [first, ...others] = [...shardOf.keys()];
  await ok(['team', 'create', first!]);
  await ok(machineAddArgs(machine, first!, 'm1'));
  const keys = join(env.RDC_HOME!, 'keys');
  for (const team of others) {
    const key = await addTeamWithMachine(client, team, machine);
    await writeFile(join(keys, `${team}.key`), `${key[team]}\n`, { mode: 0o600 });
  }
  bridge = spawn(
    process.execPath,
    [CLI_BIN, 'bridge', 'start', '--team', [...shardOf.keys()].join(','), '--batch-size', '4'],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  bridge.stderr?.on('data', (chunk: Buffer) => (bridgeLog += chunk.toString()));
}, 120_000);

afterAll(async () => {
  if (bridge && bridge.exitCode === null) {
    const gone = new Promise((resolve) => bridge.once('exit', resolve));
    bridge.kill('SIGTERM');
    await gone;
  }
});

interface Inspected {
  taskId: string;
  team: string;
  status: string;
  output?: string;
}

describe('a fleet on Redis Cluster', () => {
  it('spreads the teams over the three masters and runs their tasks through one bridge', async () => {
    expect(new Set(shardOf.values()).size).toBe(3);
    const created = new Map<string, string>();
    for (const team of shardOf.keys()) {
      const out = await ok(['create', 'task', '--team', team, '--machine', 'm1', '--command', `echo hi-${team}`]);
      created.set(team, out.trim());
      firstTasks.set(team, out.trim());
    }
    for (const [team, taskId] of created) {
      const done = await client.tasks.wait(taskId, { timeoutMs: 40_000 }).catch((error: unknown) => {
        throw new Error(`${String(error)}; bridge log:\n${bridgeLog}`);
      });
      expect(done.status, bridgeLog).toBe('COMPLETED');
      expect(done.team).toBe(team);
      // The job's hash lives on the master that owns the team's slot, and only there.
      const jobKey = `rdc:{${team}}:tasks:${taskId}`;
      const owner = await masterOfSlot(await slotOf(jobKey));
      expect(owner).toBe(shardOf.get(team));
      const node = await cluster.admin(owner);
      expect(await node.exists(jobKey)).toBe(1);
      console.log(`team ${team}: slot ${await slotOf(jobKey)} on the master at 127.0.0.1:${owner}`);
    }
    // Every team's slot is on a different master, and each master holds keys of its team only.
    for (const [team, port] of shardOf) {
      const node = await cluster.admin(port);
      const others = [...shardOf.keys()].filter((t) => t !== team);
      for (const other of others)
        expect(Number(await node.call('CLUSTER', 'COUNTKEYSINSLOT', await slotOf(`rdc:{${other}}:x`)))).toBe(0);
    }
  }, 120_000);

  it('follows the audit log of every team across the shards', async () => {
    const read = await client.audit.read({});
    expect(new Set(read.teams)).toEqual(new Set(shardOf.keys()));
    const controller = new AbortController();
    const seen = new Set<string>();
    const following = (async () => {
      for await (const entry of client.audit.follow(read, { signal: controller.signal, blockMs: 500 })) {
        if (entry.action === 'task.create') seen.add(entry.team);
      }
    })();
    for (const team of shardOf.keys()) await client.tasks.create({ team, machine: 'm1', command: 'true' });
    await waitFor('a create of every team in the followed log', () => (seen.size === 3 ? true : undefined));
    controller.abort();
    await following;
    expect(seen).toEqual(new Set(shardOf.keys()));
  }, 60_000);

  it('serves the console from the cluster: ready, and an overview of every team', async () => {
    const app = await createDashboard({
      redis: formatRedisTarget({
        kind: 'cluster',
        nodes: parseHostPorts(cluster.env.REDIS_CLUSTER_NODES!, 'nodes'),
        password: cluster.password,
      }),
    });
    try {
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
      const { token } = await client.dashboardTokens.create({ role: 'viewer' });
      const res = await app.inject({ url: '/api/overview', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode, res.body).toBe(200);
      expect(new Set(res.json().teams.map((t: { team: string }) => t.team))).toEqual(new Set(shardOf.keys()));
    } finally {
      await app.close();
    }
  }, 60_000);

  it('lists, inspects and cancels through the CLI across shards', async () => {
    // Without --team: every team, read from all three masters.
    const listed = JSON.parse(await ok(['list', 'queue', '--json'])) as Inspected[];
    expect(new Set(listed.map((t) => t.team))).toEqual(new Set(shardOf.keys()));
    const [doneTeam, doneId] = [...firstTasks][0]!;
    const done = listed.find((t) => t.taskId === doneId)!;
    expect(done).toMatchObject({ team: doneTeam, status: 'COMPLETED' });
    const inspected = JSON.parse(await ok(['inspect', 'queue', done.taskId, '--json'])) as Inspected;
    expect(inspected).toMatchObject({ taskId: done.taskId, team: done.team, status: 'COMPLETED' });
    expect(inspected.output).toContain(`hi-${done.team}`);
    const [team] = [...shardOf.keys()];
    const { taskId } = await client.tasks.create({ team: team!, machine: 'm1', command: 'sleep 30' });
    await waitFor('the sleep to run', async () =>
      (await client.tasks.inspect(taskId)).status === 'PROCESSING' ? true : undefined,
    );
    const cancelled = JSON.parse(await ok(['cancel', 'queue', taskId, '--confirm', '--json'])) as { taskId: string }[];
    expect(cancelled.map((c) => c.taskId)).toEqual([taskId]);
    const after = await client.tasks.wait(taskId, { timeoutMs: 30_000 });
    expect(after.status).toBe('CANCELLED');
    // ACL users exist on every node; a team operator's URL (the Cluster form) reads its own team only.
    const users = JSON.parse(await ok(['acl', 'apply', '--json'])) as { team: string; role: string; url: string }[];
    const operator = users.find((u) => u.team === team && u.role === 'operator')!;
    expect(operator.url).toMatch(/^redis\+cluster:\/\/rdc-/);
    for (const node of cluster.nodes) {
      expect(await (await cluster.admin(node.port)).call('ACL', 'GETUSER', `rdc-${team}-operator`)).not.toBeNull();
    }
    const own = await runCli(['list', 'queue', '--json'], {
      env: { ...env, REDIS_CLUSTER_NODES: '', REDIS_PASSWORD: '', REDIS_URL: operator.url },
      timeoutMs: 45_000,
    });
    expect(own.code, own.stderr).toBe(0);
    expect(new Set((JSON.parse(own.stdout) as Inspected[]).map((t) => t.team))).toEqual(new Set([team]));
    // The bridge's heartbeats reached every team's shard.
    const bridges = await Promise.all([...shardOf.keys()].map((t) => client.bridges.live(t)));
    for (const live of bridges) expect(live).toHaveLength(1);
  }, 120_000);
});
