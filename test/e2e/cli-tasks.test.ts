// Tasks through the rediacc CLI as a first-time user meets them (issue 10): list order and paging, machines
// resolved within the teams a user may read, denied operations in the audit log, --wait without a bridge,
// an unknown team, and retry counts that read unambiguously. Spawned processes, parsed output, exit codes.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, type CliRun, machineAddArgs, runCli } from '../harness/cli-run.js';
import { type TestMachine, useHarness } from '../harness/index.js';

const h = useHarness();
let env: NodeJS.ProcessEnv;
let machine: TestMachine;
let users: { team: string; role: string; user: string; url: string }[];
let bridge: ChildProcess;

function rediacc(args: string[], extraEnv: NodeJS.ProcessEnv = {}, timeoutMs?: number): Promise<CliRun> {
  return runCli(args, { env: { ...env, ...extraEnv }, ...(timeoutMs && { timeoutMs }) });
}

function as(team: string, role: string): NodeJS.ProcessEnv {
  const user = users.find((u) => u.team === team && u.role === role);
  if (!user) throw new Error(`no ${role} of ${team}`);
  return { REDIS_URL: user.url };
}

async function ok(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  const run = await rediacc(args, extraEnv);
  expect(run.code, `rediacc ${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

interface Listed {
  taskId: string;
  team: string;
  status: string;
  createdAt: string;
}

async function listJson(args: string[] = []): Promise<Listed[]> {
  return JSON.parse(await ok(['list', 'queue', '--json', ...args])) as Listed[];
}

beforeAll(async () => {
  const redis = await h.redis();
  machine = await h.machine();
  env = { ...process.env, REDIS_URL: redis.url, RDC_HOME: await h.tempDir('rdc-home-'), RDC_LOG_LEVEL: 'warn' };
  delete env.RDC_ACTOR;
  // Ops has a bridge; Dev never does. "shared-01" is a machine name both teams use.
  for (const team of ['Ops', 'Dev']) await ok(['team', 'create', team]);
  await ok(machineAddArgs(machine, 'Ops', 'web-01'));
  await ok(machineAddArgs(machine, 'Dev', 'dev-01'));
  await ok(machineAddArgs(machine, 'Ops', 'shared-01'));
  await ok(machineAddArgs(machine, 'Dev', 'shared-01'));
  users = JSON.parse(await ok(['acl', 'apply', '--json']));
  bridge = spawn(process.execPath, [CLI_BIN, 'bridge', 'start', '--team', 'Ops', '--batch-size', '4'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
});

afterAll(async () => {
  if (bridge.exitCode === null) {
    const gone = new Promise((resolve) => bridge.once('exit', resolve));
    bridge.kill('SIGTERM');
    await gone;
  }
});

describe('list queue: one order, with or without --limit', () => {
  it('lists newest first by creation, keeps the newest finished tasks under --limit, and pages with --before', async () => {
    // Older pending tasks (Dev has no bridge), then newer tasks that finish.
    for (let i = 0; i < 3; i++)
      await ok(['create', 'task', '--team', 'Dev', '--machine', 'dev-01', '--command', 'true']);
    const finished: string[] = [];
    for (let i = 0; i < 2; i++) {
      const out = await ok(['create', 'task', '--team', 'Ops', '--machine', 'web-01', '--command', 'true', '--wait']);
      expect(out).toBe('');
    }
    for (const t of await listJson(['--team', 'Ops', '--status', 'COMPLETED', '--limit', '2'])) finished.push(t.taskId);
    const all = await listJson();
    const created = all.map((t) => Date.parse(t.createdAt));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    const top = await listJson(['--limit', '2']);
    expect(top.map((t) => t.taskId)).toEqual(all.slice(0, 2).map((t) => t.taskId));
    expect(new Set(top.map((t) => t.taskId))).toEqual(new Set(finished));
    // The next page starts after the last task shown, whatever state the tasks are in now.
    const next = await listJson(['--limit', '2', '--before', top[1]!.taskId]);
    expect(next.map((t) => t.taskId)).toEqual(all.slice(2, 4).map((t) => t.taskId));
    const oldestFirst = await listJson(['--reverse']);
    expect(oldestFirst.map((t) => t.taskId)).toEqual(all.map((t) => t.taskId).reverse());
  });

  it('prints a readable table with status, priority, machine, age and the command, and says the order in --help', async () => {
    const table = await ok(['list', 'queue', '--limit', '3']);
    expect(table.split('\n')[0]).toMatch(/^taskId\s+status\s+priority\s+team\s+machine\s+age\s+command$/);
    expect(table.split('\n')[1]).toMatch(/\s\d+[smhd]\s+true$/);
    const help = await ok(['list', 'queue', '--help']);
    expect(help).toContain('newest first');
    expect(help).toContain('--sort <key>');
    expect(help).toContain('--before <taskId|time>');
  });

  it('refuses an unknown team with RDC_TEAM_UNKNOWN instead of an empty list', async () => {
    const run = await rediacc(['list', 'queue', '--team', 'NoSuchTeam']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('RDC_TEAM_UNKNOWN');
    expect(run.stdout).toBe('');
  });
});

describe('machines resolved within the teams a user may read', () => {
  it('an operator creates a task and lists machines without --team, as README shows', async () => {
    const create = await rediacc(
      ['create', 'task', '--machine', 'web-01', '--command', 'true', '--json'],
      as('Ops', 'operator'),
    );
    expect(create.code, create.stderr).toBe(0);
    expect(JSON.parse(create.stdout)).toMatchObject({ team: 'Ops', machine: 'web-01' });
    const list = await rediacc(['machine', 'list', '--json'], as('Ops', 'operator'));
    expect(list.code, list.stderr).toBe(0);
    expect(new Set(JSON.parse(list.stdout).map((m: { team: string }) => m.team))).toEqual(new Set(['Ops']));
  });

  it('says when a name is not visible to the user, and when it is ambiguous', async () => {
    const hidden = await rediacc(['create', 'task', '--machine', 'dev-01', '--command', 'true'], as('Ops', 'operator'));
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toMatch(
      /RDC_MACHINE_UNKNOWN: machine "dev-01" is not registered in team Ops.*may not read team Dev/,
    );
    // Within Ops alone, shared-01 is one machine.
    const own = await rediacc(
      ['create', 'task', '--machine', 'shared-01', '--command', 'true', '--json'],
      as('Ops', 'operator'),
    );
    expect(own.code, own.stderr).toBe(0);
    const both = await rediacc(['create', 'task', '--machine', 'shared-01', '--command', 'true']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('RDC_MACHINE_AMBIGUOUS: machine "shared-01" exists in teams Dev, Ops');
    expect(both.stderr).toContain('--team');
  });
});

describe('audit of denied operations', () => {
  it("records a viewer's refused create once, as denied, with what was asked; never as ok", async () => {
    const create = await rediacc(
      ['create', 'task', '--team', 'Ops', '--machine', 'web-01', '--command', 'id', '--priority', '2'],
      as('Ops', 'viewer'),
    );
    expect(create.code).toBe(1);
    expect(create.stderr).toContain('RDC_ACCESS_DENIED');
    const entries = JSON.parse(await ok(['audit', '--team', 'Ops', '--json'])) as {
      actor: string;
      action: string;
      outcome: string;
      detail?: Record<string, unknown>;
    }[];
    const viewer = entries.filter((e) => e.actor === 'rdc-Ops-viewer' && e.action === 'task.create');
    expect(viewer).toHaveLength(1);
    expect(viewer[0]).toMatchObject({ outcome: 'denied', detail: { machine: 'web-01', priority: 2 } });
  });

  it("records a viewer's refused cancel and machine change once each, as denied", async () => {
    const { taskId } = JSON.parse(
      await ok(['create', 'task', '--team', 'Dev', '--machine', 'dev-01', '--command', 'true', '--json']),
    );
    const cancel = await rediacc(['cancel', 'queue', taskId, '--confirm'], as('Dev', 'viewer'));
    expect(cancel.code).toBe(1);
    const set = await rediacc(['machine', 'set', 'dev-01', '--max-concurrent', '2'], as('Dev', 'viewer'));
    expect(set.code).toBe(1);
    const entries = JSON.parse(await ok(['audit', '--team', 'Dev', '--json'])) as {
      actor: string;
      action: string;
      target: string;
      outcome: string;
    }[];
    const viewer = entries.filter((e) => e.actor === 'rdc-Dev-viewer');
    expect(viewer.map((e) => `${e.action} ${e.target} ${e.outcome}`).sort()).toEqual(
      [`machine.set dev-01 denied`, `task.cancel ${taskId} denied`].sort(),
    );
    expect(JSON.parse(await ok(['inspect', 'queue', taskId, '--json']))).toMatchObject({ status: 'PENDING' });
  });
});

describe('create task --wait', () => {
  it('says, after a few seconds, that no live bridge serves the team, and stops at --wait-timeout with 124', async () => {
    const run = await rediacc(
      ['create', 'task', '--team', 'Dev', '--machine', 'dev-01', '--command', 'true', '--wait', '--wait-timeout', '6'],
      {},
      20_000,
    );
    expect(run.code).toBe(124);
    expect(run.stdout).toBe('');
    const taskId = /^task ([0-9a-f-]{36})/m.exec(run.stderr)?.[1];
    expect(taskId, run.stderr).toBeDefined();
    expect(run.stderr).toContain('no live bridge serves team Dev');
    expect(run.stderr).toContain('rediacc bridge start --team Dev');
    expect(JSON.parse(await ok(['inspect', 'queue', taskId ?? '', '--json']))).toMatchObject({ status: 'PENDING' });
    const follow = await rediacc(['inspect', 'queue', taskId ?? '', '--follow', '--wait-timeout', '1'], {}, 20_000);
    expect(follow.code).toBe(124);
    expect(follow.stderr).toContain(`stopped following task ${taskId} after --wait-timeout 1s; it goes on (PENDING)`);
  });

  it('keeps stdout one JSON document with --json, and says nothing of bridges when one serves the team', async () => {
    const timedOut = await rediacc(
      [
        'create',
        'task',
        '--team',
        'Dev',
        '--machine',
        'dev-01',
        '--command',
        'true',
        '--wait',
        '--wait-timeout',
        '1',
        '--json',
      ],
      {},
      20_000,
    );
    expect(timedOut.code).toBe(124);
    expect(JSON.parse(timedOut.stdout)).toMatchObject({ status: 'PENDING', team: 'Dev' });
    const served = await rediacc(
      ['create', 'task', '--team', 'Ops', '--machine', 'web-01', '--command', 'sleep 4; echo done', '--wait'],
      {},
      20_000,
    );
    expect(served.code, served.stderr).toBe(0);
    expect(served.stdout).toBe('done\n');
    expect(served.stderr).not.toContain('no live bridge');
  });
});

describe('inspect queue: retries read unambiguously', () => {
  it('after 3 attempts of --max-retries 2, shows attempts 3, retries used 2 and retryCount (retries left) 0', async () => {
    const { taskId } = JSON.parse(
      await ok([
        'create',
        'task',
        '--team',
        'Ops',
        '--machine',
        'web-01',
        '--command',
        'exit 3',
        '--max-retries',
        '2',
        '--retry-delay',
        '0.1',
        '--json',
      ]),
    );
    const follow = await rediacc(['inspect', 'queue', taskId, '--follow'], {}, 30_000);
    expect(follow.code).toBe(3);
    const view = JSON.parse(await ok(['inspect', 'queue', taskId, '--json']));
    expect(view).toMatchObject({ attempts: 3, maxRetries: 2, retriesUsed: 2, retryCount: 0 });
    const text = await ok(['inspect', 'queue', taskId]);
    expect(text).toMatch(/^attempts:\s+3\n/m);
    expect(text).toMatch(/^retryCount:\s+0 \(retries left; 2 of maxRetries 2 used\)\n/m);
  });
});
