// `rediacc bridge list` driven as a user would: bridge processes started with `bridge start`, their heartbeats
// listed with their load, and gone once they stop (at once on SIGTERM, within the heartbeat's expiry on SIGKILL).
import { type ChildProcess, spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, type CliRun, machineAddArgs, runCli } from '../harness/cli-run.js';
import { useHarness, waitFor } from '../harness/index.js';

const h = useHarness();
let env: NodeJS.ProcessEnv;
let users: { team: string; role: string; url: string }[];

interface Listed {
  id: string;
  host: string;
  pid: number;
  version?: string;
  teams: string[];
  slots?: Record<string, { normal: { busy: number; free: number }; critical: { busy: number; free: number } }>;
}

function rediacc(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runCli(args, { env: { ...env, ...extraEnv } });
}

async function listed(extraEnv: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<Listed[]> {
  const run = await rediacc(['bridge', 'list', '--json', ...args], extraEnv);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

function startBridge(name: string, teams: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      CLI_BIN,
      'bridge',
      'start',
      '--team',
      teams,
      '--name',
      name,
      '--batch-size',
      '3',
      '--critical-slots',
      '1',
      '--grace',
      '2',
    ],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  h.own(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
  });
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function as(team: string, role: string): NodeJS.ProcessEnv {
  const user = users.find((u) => u.team === team && u.role === role);
  if (!user) throw new Error(`no ${role} of ${team}`);
  return { REDIS_URL: user.url };
}

beforeAll(async () => {
  const redis = await h.redis();
  const machine = await h.machine();
  env = { ...process.env, REDIS_URL: redis.url, RDC_HOME: await h.tempDir('rdc-home-'), RDC_LOG_LEVEL: 'warn' };
  delete env.RDC_ACTOR;
  for (const team of ['Ops', 'Dev']) {
    expect((await rediacc(['team', 'create', team])).code).toBe(0);
    const add = await rediacc(machineAddArgs(machine, team, `${team.toLowerCase()}-01`));
    expect(add.code, add.stderr).toBe(0);
  }
  const apply = await rediacc(['acl', 'apply', '--json']);
  expect(apply.code, apply.stderr).toBe(0);
  users = JSON.parse(apply.stdout);
});

describe('rediacc bridge list', () => {
  it('shows a started bridge with its teams, version and free slots, and its busy slot while a task runs', async () => {
    const bridge = startBridge('b-busy', 'Ops,Dev');
    const [found] = await waitFor('the bridge to be listed', async () => {
      const bridges = await listed();
      return bridges.some((b) => b.id === 'b-busy') ? bridges : undefined;
    });
    expect(found).toMatchObject({ id: 'b-busy', pid: bridge.pid, teams: ['Ops', 'Dev'] });
    expect(found?.version).toMatch(/^\d+\.\d+\.\d+/);
    const idle = { normal: { busy: 0, free: 3 }, critical: { busy: 0, free: 4 } };
    expect(found?.slots).toEqual({ Ops: idle, Dev: idle });

    const table = await rediacc(['bridge', 'list']);
    expect(table.stdout).toMatch(/^id\s+host\s+pid\s+version\s+teams\s+normal\s+critical\s+up\s+lastSeen/);
    expect(table.stdout).toMatch(/b-busy\s.*\s0\/6\s+0\/8\s/);

    const create = await rediacc(['create', 'task', '--team', 'Ops', '--machine', 'ops-01', '--command', 'sleep 30']);
    expect(create.code, create.stderr).toBe(0);
    const busy = await waitFor('the running task to show as a busy slot', async () => {
      const [b] = await listed({}, ['--team', 'Ops']);
      return b?.slots?.Ops?.normal.busy === 1 ? b : undefined;
    });
    expect(busy.slots?.Ops).toEqual({ normal: { busy: 1, free: 2 }, critical: { busy: 0, free: 3 } });
    expect(busy.teams).toEqual(['Ops']);
    const cancel = await rediacc(['cancel', 'queue', create.stdout.trim(), '--confirm']);
    expect(cancel.code, cancel.stderr).toBe(0);

    bridge.kill('SIGTERM');
    await exited(bridge);
    // A bridge that stops says so: no waiting for its heartbeat to expire.
    expect((await listed()).map((b) => b.id)).not.toContain('b-busy');
  });

  it('lists for operators and viewers of a team, showing only their team', async () => {
    const bridge = startBridge('b-acl', 'Ops,Dev');
    await waitFor('the bridge to be listed', async () =>
      (await listed()).some((b) => b.id === 'b-acl') ? true : undefined,
    );
    for (const role of ['operator', 'viewer']) {
      const bridges = await listed(as('Dev', role));
      expect(bridges.map((b) => [b.id, b.teams])).toEqual([['b-acl', ['Dev']]]);
      expect(Object.keys(bridges[0]?.slots ?? {})).toEqual(['Dev']);
      const other = await rediacc(['bridge', 'list', '--team', 'Ops'], as('Dev', role));
      expect(other.code).toBe(1);
      expect(other.stderr).toContain('RDC_ACCESS_DENIED');
    }
    bridge.kill('SIGTERM');
    await exited(bridge);
  });

  it('forgets a bridge killed without a chance to stop once its heartbeat expires', async () => {
    const bridge = startBridge('b-killed', 'Ops');
    await waitFor('the bridge to be listed', async () =>
      (await listed()).some((b) => b.id === 'b-killed') ? true : undefined,
    );
    bridge.kill('SIGKILL');
    await exited(bridge);
    // The heartbeat lives 15 s; allow for a slow box, but no longer.
    const gone = await waitFor(
      'the killed bridge to disappear',
      async () => ((await listed()).some((b) => b.id === 'b-killed') ? undefined : true),
      25_000,
      500,
    );
    expect(gone).toBe(true);
  });
});
