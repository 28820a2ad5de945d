// Any sshd a user points us at (issue 12 §2): the whole task lifecycle (output, cancel, timeout, re-attach after
// a bridge is killed with SIGKILL) on machines that offer nothing but exec: an sshd with no `Subsystem sftp`
// line, a non-root user whose login shell is /bin/sh (dash), and a user whose shell startup files print text
// (stdout and stderr, lines that look like agent events, text without a final newline).
import { spawnSync } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addTeamWithMachine,
  type BridgeProcess,
  loginUser,
  loginUsersUnavailable,
  startBridgeProcess,
  type TestMachine,
  useHarness,
  waitFor,
} from '../harness/index.js';
import { alive } from '../harness/signals.js';

const h = useHarness();
const noUsers = loginUsersUnavailable();

// Shell startup text that must never pass for the agent: fake events, a fake frames marker, a line without end.
const CHATTER = [
  'echo "Welcome to this host ($0 startup file)"',
  'echo "E not the agent"',
  'echo "H 2 m /not/the/agent/either"',
  'echo "D some-task 0"',
  'echo rdc-agent',
  'echo "startup noise on stderr" >&2',
  'echo rdc-agent-frames >&2',
  'echo "not a frame header" >&2',
  "printf 'rdc-agent-frames' >&2",
  "printf 'no newline at the end'",
  '',
].join('\n');

const MACHINES = [
  { kind: 'an sshd with no SFTP subsystem', user: undefined },
  { kind: 'a non-root user whose login shell is /bin/sh (dash)', user: { name: 'rdc-dash', shell: '/bin/sh' } },
  {
    kind: 'a user whose shell startup files print text',
    user: {
      name: 'rdc-chatty',
      shell: '/bin/bash',
      // sshd runs ~/.ssh/rc (under sh) before the command, with the session's stdout; bash reads ~/.bashrc when
      // sshd starts it, even for a command.
      files: { '.bashrc': CHATTER, '.ssh/rc': CHATTER, '.profile': CHATTER },
    },
  },
] as const;

let teams = 0;

describe.each(MACHINES)('a machine with $kind', ({ user }) => {
  const skip = user !== undefined && noUsers !== undefined;
  let client: RediaccClient;
  let machine: TestMachine;
  let team: string;
  let redisUrl: string;
  let keysDir: string;
  let shared: string;
  let bridgeA: BridgeProcess;

  const bridgeConfig = (name: string) => ({
    redisUrl,
    teams: [team],
    keysDir,
    name,
    batchSize: 4,
    lockDurationMs: 2_000,
    stalledIntervalMs: 1_000,
    pollMs: 100,
    cancelCheckMs: 500,
    outputCapBytes: 4096,
  });

  beforeAll(async () => {
    if (skip) return;
    if (user) loginUser(user.name, user.shell, 'files' in user ? user.files : {});
    redisUrl = (await h.redis()).url;
    machine = await h.machine({ sftp: false, ...(user ? { user: user.name } : {}) });
    // sshd reads authorized_keys as the user logging in: let the other users read this one (a public key).
    if (user) {
      await chmod(machine.sshd.dir, 0o711);
      await chmod(join(machine.sshd.dir, 'authorized_keys'), 0o644);
    }
    client = createClient({ redis: redisUrl });
    h.own(() => client.close());
    team = `any${process.pid}-${++teams}`;
    keysDir = await h.tempDir('team-keys');
    const keys = await addTeamWithMachine(client, team, machine);
    await writeFile(join(keysDir, `${team}.key`), `${keys[team]}\n`, { mode: 0o600 });
    // Where commands leave pids for the test: writable by the machine's user.
    shared = await h.tempDir('any-sshd');
    await chmod(shared, 0o777);
    bridgeA = await startBridgeProcess(h, bridgeConfig('bridge-a'));
  });

  const pidIn = (file: string) =>
    waitFor(`a pid in ${file}`, async () => {
      // Not created here: the file must be the machine user's to write.
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      return pid > 1 ? pid : undefined;
    });

  it.skipIf(skip)('has what the test claims: no SFTP, the login shell, the startup text', () => {
    const ssh = (...args: string[]) =>
      spawnSync(
        'ssh',
        [
          ...['-i', machine.privateKeyPath, '-p', String(machine.port), '-o', 'BatchMode=yes'],
          ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'],
          ...args,
        ],
        { encoding: 'utf8', timeout: 20_000 },
      );
    const login = ssh(`${machine.user}@${machine.host}`, 'echo "shell=$SHELL user=$(id -un)"');
    expect(login.status).toBe(0);
    expect(login.stdout).toContain(`user=${machine.user}`);
    if (user?.shell === '/bin/sh') expect(login.stdout).toContain('shell=/bin/sh');
    if (user && 'files' in user) {
      expect(login.stdout).toContain('Welcome to this host');
      expect(login.stderr).toContain('startup noise on stderr');
    }
    const sftp = ssh('-s', `${machine.user}@${machine.host}`, 'sftp');
    expect(sftp.status).not.toBe(0);
  });

  it.skipIf(skip)('runs a task: output streamed while it runs, stored at the end, and capped', async () => {
    const { taskId } = await client.tasks.create({
      team,
      machine: 'm1',
      command: 'echo one; sleep 1; printf "two\\n"; [ "$(id -un)" = "$LOGNAME" ] && echo "as $LOGNAME"',
    });
    let streamed = '';
    for await (const event of client.tasks.watch(taskId)) if (event.type === 'output') streamed += event.data;
    const done = await client.tasks.wait(taskId, { timeoutMs: 30_000 });
    expect(done).toMatchObject({ status: 'COMPLETED', exitCode: 0, output: `one\ntwo\nas ${machine.user}\n` });
    expect(streamed).toBe(done.output);

    // 5 × 1000 lines past a 4 KiB cap: the head and the tail are read from the machine, the middle is cut.
    const big = await client.tasks.create({
      team,
      machine: 'm1',
      command: 'i=0; while [ $i -lt 1000 ]; do echo "line $i"; i=$((i + 1)); done; exit 4',
    });
    const capped = await client.tasks.wait(big.taskId, { timeoutMs: 30_000 });
    expect(capped).toMatchObject({ status: 'FAILED', exitCode: 4 });
    expect(capped.output).toMatch(/^line 0\nline 1\n/);
    expect(capped.output).toMatch(/line 999\n$/);
    expect(capped.output).toContain('bytes of output truncated');
  });

  it.skipIf(skip)('cancels a running task: its process tree on the machine is killed', async () => {
    const childFile = join(shared, `cancel-${teams}`);
    const { taskId } = await client.tasks.create({
      team,
      machine: 'm1',
      command: `sleep 300 & echo $! > ${childFile}; echo started; wait`,
    });
    const child = await pidIn(childFile);
    await waitFor('the task to run', async () =>
      (await client.tasks.inspect(taskId)).status === 'PROCESSING' ? true : undefined,
    );
    const [result] = await client.tasks.cancel([taskId]);
    expect(result).toMatchObject({ taskId, outcome: 'cancelled', status: 'CANCELLED' });
    const view = await client.tasks.inspect(taskId);
    expect(view).toMatchObject({ status: 'CANCELLED', errorCode: 'RDC_CANCELLED' });
    expect(view.output).toContain('started');
    await waitFor('the cancelled command to be gone', () => (alive(child) ? undefined : true), 10_000);
    expect(alive(child)).toBe(false);
  });

  it.skipIf(skip)('times a task out: FAILED with its output, its process tree killed', async () => {
    const childFile = join(shared, `timeout-${teams}`);
    const { taskId } = await client.tasks.create({
      team,
      machine: 'm1',
      command: `sleep 300 & echo $! > ${childFile}; echo started; wait`,
      timeout: 1,
    });
    const view = await client.tasks.wait(taskId, { timeoutMs: 30_000 });
    expect(view).toMatchObject({ status: 'FAILED', errorCode: 'RDC_TIMEOUT', error: 'timed out after 1s' });
    expect(view.output).toContain('started');
    const child = await pidIn(childFile);
    await waitFor('the timed-out command to be gone', () => (alive(child) ? undefined : true), 10_000);
    expect(alive(child)).toBe(false);
  });

  it.skipIf(skip)('re-attaches to the run of a bridge killed with SIGKILL: one run, all its output', async () => {
    const runs = join(shared, `runs-${teams}`);
    const { taskId } = await client.tasks.create({
      team,
      machine: 'm1',
      command: `echo $$ >> ${runs}; echo before; sleep 10; echo after`,
    });
    let sawBefore: () => void = () => {};
    const before = new Promise<void>((resolve) => {
      sawBefore = resolve;
    });
    const watched = (async () => {
      let output = '';
      for await (const event of client.tasks.watch(taskId)) {
        if (event.type !== 'output') continue;
        output += event.data;
        if (output.includes('before')) sawBefore();
      }
      return output;
    })();
    await before;
    const bridgeB = await startBridgeProcess(h, bridgeConfig('bridge-b'));
    bridgeA.signal('SIGKILL');
    await bridgeA.exited;
    const done = await client.tasks.wait(taskId, { timeoutMs: 40_000 });
    expect(done).toMatchObject({ status: 'COMPLETED', exitCode: 0, output: 'before\nafter\n', bridge: 'bridge-b' });
    expect(await watched).toBe('before\nafter\n');
    expect((await readFile(runs, 'utf8')).trim().split('\n')).toHaveLength(1);
    // Still running when bridge-b took over (10 s against 2 s locks): re-attached, not collected.
    expect(bridgeB.log()).toContain('re-attached to the run on the machine');
  });
});

it.runIf(noUsers !== undefined)('says why the dash and chatty-shell machines are skipped', () => {
  console.warn(`any-sshd: the dash and chatty-shell machine tests are skipped: ${noUsers}`);
  expect(noUsers).toBeTruthy();
});
