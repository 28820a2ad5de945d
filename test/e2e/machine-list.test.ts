// `rediacc machine list` driven as a user would: a bridge started with `bridge start --sample-interval 1s` samples
// the machine it ran a task on, and the list shows tasks running, load, memory and disk free; a machine at a port
// nothing listens on shows its last SSH error and since when it is unreachable, which clears once it answers again.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, type CliRun, machineAddArgs, runCli } from '../harness/cli-run.js';
import { freePort } from '../harness/free-port.js';
import { type TestMachine, useHarness, waitFor } from '../harness/index.js';

const h = useHarness();
/** Each test drives several CLI processes and a bridge on a busy 2-core box. */
const SLOW_MS = 120_000;
let env: NodeJS.ProcessEnv;
let machine: TestMachine;
let bridge: ChildProcess;

interface Listed {
  name: string;
  team: string;
  host: string;
  running: number;
  status: {
    bridgeId: string;
    sampledAt: number | null;
    load1: number | null;
    memUsedBytes: number | null;
    memTotalBytes: number | null;
    diskFreeBytes: number | null;
    lastError: { at: number; code: string; message: string } | null;
    unreachableSince: number | null;
  } | null;
}

/** Listens on loopback `port` and forwards every connection to `to`, until the harness closes. */
async function forward(port: number, to: number): Promise<void> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const upstream = connect(to, '127.0.0.1');
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        socket.destroy();
        upstream.destroy();
      });
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  h.own(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
}

function rediacc(args: string[]): Promise<CliRun> {
  return runCli(args, { env });
}

async function listed(): Promise<Map<string, Listed>> {
  const run = await rediacc(['machine', 'list', '--json']);
  expect(run.code, run.stderr).toBe(0);
  return new Map((JSON.parse(run.stdout) as Listed[]).map((m) => [m.name, m]));
}

/** Creates a task and waits for its end (`--wait --json`); resolves with its final status. */
async function runTask(name: string, command: string): Promise<string> {
  const run = await rediacc([
    ...['create', 'task', '--team', 'Ops', '--machine', name, '--command', command],
    ...['--max-retries', '0', '--wait', '--json'],
  ]);
  return (JSON.parse(run.stdout) as { status: string }).status;
}

beforeAll(async () => {
  const redis = await h.redis();
  machine = await h.machine();
  env = { ...process.env, REDIS_URL: redis.url, RDC_HOME: await h.tempDir('rdc-home-'), RDC_LOG_LEVEL: 'warn' };
  delete env.RDC_ACTOR;
  expect((await rediacc(['team', 'create', 'Ops'])).code).toBe(0);
  const add = await rediacc(machineAddArgs(machine, 'Ops', 'web-01'));
  expect(add.code, add.stderr).toBe(0);
  bridge = spawn(
    process.execPath,
    [CLI_BIN, 'bridge', 'start', '--team', 'Ops', '--name', 'b-sample', '--sample-interval', '1s', '--grace', '1'],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  h.own(async () => {
    if (bridge.exitCode === null && bridge.signalCode === null) {
      bridge.kill('SIGKILL');
      await new Promise((resolve) => bridge.once('exit', resolve));
    }
  });
});

afterAll(() => {
  bridge.kill('SIGTERM');
});

describe('rediacc machine list', () => {
  it(
    'shows the load, memory and disk free a bridge sampled after a task ran, as JSON and as a table',
    async () => {
      expect(await runTask('web-01', 'true')).toBe('COMPLETED');
      const web = await waitFor('a sample of web-01', async () => {
        const m = (await listed()).get('web-01');
        return m?.status?.sampledAt ? m : undefined;
      });
      expect(web).toMatchObject({ team: 'Ops', host: machine.host, running: 0 });
      expect(web.status?.bridgeId).toBe('b-sample');
      expect(web.status?.load1).toBeGreaterThanOrEqual(0);
      expect(web.status?.memTotalBytes).toBeGreaterThan(0);
      expect(web.status?.memUsedBytes).toBeGreaterThan(0);
      expect(web.status?.memUsedBytes).toBeLessThanOrEqual(web.status?.memTotalBytes ?? 0);
      expect(web.status?.diskFreeBytes).toBeGreaterThan(0);
      expect(web.status?.lastError).toBeNull();

      const table = await rediacc(['machine', 'list']);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(
        /^name\s+team\s+host\s+user\s+tags\s+running\s+load1\s+memory\s+diskFree\s+sampled\s+lastError/,
      );
      expect(table.stdout).toMatch(
        /web-01\s+Ops\s+\S+\s+\S+\s+-\s+0\s+\d+\.\d\d\s+[\d.]+[BKMGT]\/[\d.]+[BKMGT]\s+[\d.]+[BKMGT]\s+\d+s ago\s+-/,
      );
    },
    SLOW_MS,
  );

  it(
    'counts a running task',
    async () => {
      const slow = await rediacc(['create', 'task', '--team', 'Ops', '--machine', 'web-01', '--command', 'sleep 30']);
      expect(slow.code, slow.stderr).toBe(0);
      await waitFor('the running task to be counted', async () =>
        (await listed()).get('web-01')?.running === 1 ? true : undefined,
      );
      expect((await rediacc(['cancel', 'queue', slow.stdout.trim(), '--confirm'])).code).toBe(0);
    },
    SLOW_MS,
  );

  it(
    'shows an unreachable machine’s last SSH error until it answers again',
    async () => {
      const closed = await freePort();
      const addDown = await rediacc([
        ...machineAddArgs(machine, 'Ops', 'down-01').map((a) => (a === String(machine.port) ? String(closed) : a)),
        '--no-check',
      ]);
      expect(addDown.code, addDown.stderr).toBe(0);
      const before = Date.now();
      expect(await runTask('down-01', 'true')).toBe('FAILED');
      const down = (await listed()).get('down-01');
      expect(down?.status?.lastError?.code).toBe('RDC_SSH_CONNECT');
      expect(down?.status?.lastError?.message).toContain(String(closed));
      expect(down?.status?.unreachableSince).toBeGreaterThanOrEqual(before - 1_000);
      expect(down?.status?.sampledAt).toBeNull();
      const table = await rediacc(['machine', 'list']);
      expect(table.stdout).toMatch(/down-01\s.*RDC_SSH_CONNECT \d+s ago, unreachable for \d+s/);

      // The machine answers again (its port now forwards to the sshd): the next connect clears unreachableSince.
      await forward(closed, machine.port);
      expect(await runTask('down-01', 'true')).toBe('COMPLETED');
      const back = await waitFor('down-01 reachable and sampled', async () => {
        const m = (await listed()).get('down-01');
        return m?.status?.unreachableSince === null && m.status.sampledAt ? m : undefined;
      });
      expect(back.status?.lastError?.code).toBe('RDC_SSH_CONNECT');
      expect(back.status?.memTotalBytes).toBeGreaterThan(0);
    },
    SLOW_MS,
  );
});
