// The rediacc CLI driven as a user would: spawned processes, parsed --json output, exit codes.
import { type ChildProcess, spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, type CliRun, runCli } from '../harness/cli-run.js';
import { type TestMachine, useHarness } from '../harness/index.js';

const h = useHarness();
let env: NodeJS.ProcessEnv;
let machine: TestMachine;

function rediacc(args: string[], options: { timeoutMs?: number } = {}): Promise<CliRun> {
  return runCli(args, { env, ...options });
}

function startBridgeProcess(team: string): ChildProcess {
  return spawn(process.execPath, [CLI_BIN, 'bridge', 'start', '--team', team, '--batch-size', '4'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

beforeAll(async () => {
  const redis = await h.redis();
  machine = await h.machine();
  env = { ...process.env, REDIS_URL: redis.url, RDC_HOME: await h.tempDir('rdc-home-'), RDC_LOG_LEVEL: 'warn' };
  expect((await rediacc(['team', 'create', 'Ops'])).code).toBe(0);
  const add = await rediacc([
    'machine',
    'add',
    'web-01',
    '--team',
    'Ops',
    '--host',
    machine.host,
    '--port',
    String(machine.port),
    '--user',
    machine.user,
    '--key-file',
    machine.privateKeyPath,
    '--accept-new-host-key',
    '--json',
  ]);
  expect(add.code, add.stderr).toBe(0);
  expect(JSON.parse(add.stdout).hostKeyFingerprint).toBe(machine.hostKeyFingerprint);
});

describe('rediacc CLI', () => {
  it('lists teams and machines as JSON', async () => {
    const teams = JSON.parse((await rediacc(['team', 'list', '--json'])).stdout);
    expect(teams.map((t: { name: string }) => t.name)).toEqual(['Ops']);
    const machines = JSON.parse((await rediacc(['machine', 'list', '--json'])).stdout);
    expect(machines).toMatchObject([{ name: 'web-01', team: 'Ops', port: machine.port }]);
  });

  it('creates a task that a bridge process runs, then lists and inspects it', async () => {
    const create = await rediacc([
      'create',
      'task',
      '--machine',
      'web-01',
      '--priority',
      '2',
      '--command',
      'echo from-cli',
    ]);
    expect(create.code, create.stderr).toBe(0);
    const taskId = create.stdout.trim();
    expect(taskId).toMatch(/^[0-9a-f-]{36}$/);

    const pending = JSON.parse((await rediacc(['list', 'queue', '--status', 'PENDING', '--json'])).stdout);
    expect(pending.map((t: { taskId: string }) => t.taskId)).toContain(taskId);

    const bridge = startBridgeProcess('Ops');
    try {
      const wait = await rediacc(['create', 'task', '--machine', 'web-01', '--command', 'echo waited', '--wait']);
      expect(wait.code, wait.stderr).toBe(0);
      expect(wait.stdout).toContain('waited');

      const inspect = await rediacc(['inspect', 'queue', taskId, '--json']);
      const view = JSON.parse(inspect.stdout);
      expect(view).toMatchObject({
        taskId,
        status: 'COMPLETED',
        priority: 2,
        team: 'Ops',
        machine: 'web-01',
        exitCode: 0,
      });
      expect(view.output).toContain('from-cli');
      for (const field of ['retryCount', 'vaultData', 'error', 'createdAt', 'completedAt', 'startedAt', 'attempts']) {
        expect(view).toHaveProperty(field);
      }
      expect(new Date(view.completedAt).toISOString()).toBe(view.completedAt);

      const failed = await rediacc([
        'create',
        'task',
        '--machine',
        'web-01',
        '--command',
        'echo nope >&2; exit 3',
        '--wait',
      ]);
      expect(failed.code).toBe(3);
      expect(failed.stderr).toContain('FAILED');

      const limited = JSON.parse((await rediacc(['list', 'queue', '--team', 'Ops', '--limit', '2', '--json'])).stdout);
      expect(limited).toHaveLength(2);
    } finally {
      bridge.kill('SIGTERM');
      expect(await exited(bridge)).toBe(0);
    }
  });

  it('drains on SIGTERM: a running task completes before the bridge exits 0', async () => {
    // Long enough to be seen PROCESSING when each `inspect` process takes a second or more on a loaded box.
    const create = await rediacc(['create', 'task', '--machine', 'web-01', '--command', 'sleep 4; echo drained']);
    const taskId = create.stdout.trim();
    const bridge = startBridgeProcess('Ops');
    let seen = 'PENDING';
    for (let i = 0; i < 200 && seen !== 'PROCESSING' && seen !== 'COMPLETED'; i++) {
      seen = JSON.parse((await rediacc(['inspect', 'queue', taskId, '--json'])).stdout).status;
      await new Promise((r) => setTimeout(r, 50));
    }
    bridge.kill('SIGTERM');
    expect(await exited(bridge)).toBe(0);
    expect(seen, 'the task must be running when SIGTERM arrives').toBe('PROCESSING');
    const view = JSON.parse((await rediacc(['inspect', 'queue', taskId, '--json'])).stdout);
    expect(view.status).toBe('COMPLETED');
    expect(view.output).toContain('drained');
  });

  it('cancel queue lists without --confirm and cancels with it', async () => {
    const taskId = (await rediacc(['create', 'task', '--machine', 'web-01', '--command', 'true'])).stdout.trim();
    const dry = await rediacc(['cancel', 'queue', taskId]);
    expect(dry.code).toBe(2);
    expect(dry.stdout).toContain(taskId);
    expect(dry.stderr).toContain('--confirm');
    expect(JSON.parse((await rediacc(['inspect', 'queue', taskId, '--json'])).stdout).status).toBe('PENDING');
    const run = await rediacc(['cancel', 'queue', taskId, '--confirm', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([{ taskId, outcome: 'cancelled', status: 'CANCELLED' }]);
    expect(JSON.parse((await rediacc(['inspect', 'queue', taskId, '--json'])).stdout).status).toBe('CANCELLED');
  });

  it('shows the lane and per-machine limit flags in --help', async () => {
    const bridge = await rediacc(['bridge', 'start', '--help']);
    expect(bridge.code).toBe(0);
    expect(bridge.stdout).toContain('--critical-slots <n>');
    expect(bridge.stdout).toContain('--max-per-machine <n>');
    expect((await rediacc(['machine', 'add', '--help'])).stdout).toContain('--max-concurrent <n>');
    expect((await rediacc(['machine', 'set', '--help'])).stdout).toContain('--max-concurrent <n|none>');
  });

  it.each([
    [['bridge', 'start', '--team', 'Ops', '--critical-slots', '-1'], '--critical-slots'],
    [['bridge', 'start', '--team', 'Ops', '--critical-slots', 'two'], '--critical-slots'],
    [['bridge', 'start', '--team', 'Ops', '--max-per-machine', '0'], '--max-per-machine'],
    [['machine', 'set', 'web-01', '--max-concurrent', 'lots'], '--max-concurrent'],
    [['machine', 'set', 'web-01'], '--max-concurrent'],
    [
      ['machine', 'add', 'x', '--team', 'Ops', '--host', 'h', '--key-file', 'k', '--max-concurrent', '1.5'],
      '--max-concurrent',
    ],
  ])('rejects %j with exit code 2 and a one-line message naming %s', async (args, flag) => {
    const run = await rediacc(args);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toContain(flag);
  });

  it('machine set changes and removes the limit of a machine', async () => {
    const set = await rediacc(['machine', 'set', 'web-01', '--max-concurrent', '3', '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ name: 'web-01', team: 'Ops', maxConcurrent: 3 });
    const listed = JSON.parse((await rediacc(['machine', 'list', '--json'])).stdout);
    expect(listed[0].maxConcurrent).toBe(3);
    const cleared = await rediacc(['machine', 'set', 'web-01', '--team', 'Ops', '--max-concurrent', 'none']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toContain('none');
    expect(JSON.parse((await rediacc(['machine', 'list', '--json'])).stdout)[0]).not.toHaveProperty('maxConcurrent');
  });

  it('rediacc up runs the demo tasks of every priority to COMPLETED', async () => {
    const up = await rediacc(['up', '--exit'], { timeoutMs: 60_000 });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout.match(/COMPLETED/g)).toHaveLength(5);
    expect(up.stdout).toContain('P1 restarting app');
  });
});
