// The vault, secrets, host-key trust and key rotation from the rediacc CLI, as a user drives them: spawned
// processes, exit codes, and a sentinel secret that must not show up in anything the CLI or the bridge prints.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, type CliRun, machineAddArgs, runCli } from '../harness/cli-run.js';
import { type TestMachine, useHarness } from '../harness/index.js';

const SENTINEL = 'SENTINEL-cli-secret-77e1c0de';
const h = useHarness();
let env: NodeJS.ProcessEnv;
let machine: TestMachine;
/** Everything every CLI run printed, to look for the sentinel in. */
let printed = '';
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

async function rediacc(args: string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const run = await runCli(args, {
    env,
    stdin: options.stdin ?? '',
    ...(options.timeoutMs && { timeoutMs: options.timeoutMs }),
  });
  printed += run.stdout + run.stderr;
  return run;
}

function machineArgs(name: string, m: TestMachine, extra: string[] = []): string[] {
  return [...machineAddArgs(m, 'Sec', name, { pinHostKey: false }), ...extra];
}

async function withBridge<T>(run: () => Promise<T>): Promise<{ result: T; log: string }> {
  const child: ChildProcess = spawn(process.execPath, [CLI_BIN, 'bridge', 'start', '--team', 'Sec'], {
    env: { ...env, RDC_LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (d) => (log += d));
  try {
    return { result: await run(), log };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

beforeAll(async () => {
  const redis = await h.redis();
  machine = await h.machine();
  env = { ...process.env, REDIS_URL: redis.url, RDC_HOME: await h.tempDir('rdc-home-'), RDC_LOG_LEVEL: 'warn' };
  expect((await rediacc(['team', 'create', 'Sec'])).code).toBe(0);
  const add = await rediacc(machineArgs('web-01', machine, ['--accept-new-host-key']));
  expect(add.code, add.stderr).toBe(0);
});

describe('rediacc vault and secrets', () => {
  it('sets secrets from stdin and from a file, lists names only, and deletes', async () => {
    const set = await rediacc(['vault', 'set', '--team', 'Sec', 'API_TOKEN', '--stdin'], { stdin: `${SENTINEL}\n` });
    expect(set.code, set.stderr).toBe(0);
    const file = join(await h.tempDir('secret'), 'value');
    await writeFile(file, 'file-secret-value\n');
    expect((await rediacc(['vault', 'set', '--team', 'Sec', 'FROM_FILE', '--from-file', file])).code).toBe(0);
    const list = await rediacc(['vault', 'list', '--team', 'Sec', '--json']);
    const names = JSON.parse(list.stdout).map((e: { name: string }) => e.name);
    expect(names).toEqual(['API_TOKEN', 'FROM_FILE', 'ssh-key/web-01']);
    expect(list.stdout).not.toContain(SENTINEL);
    expect((await rediacc(['vault', 'delete', '--team', 'Sec', 'FROM_FILE'])).code).toBe(0);
    const again = await rediacc(['vault', 'delete', '--team', 'Sec', 'FROM_FILE']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('RDC_VAULT_UNKNOWN');
  });

  it('runs a task with --secret: the command gets it, the output shows ***', async () => {
    const { result: run, log } = await withBridge(() =>
      rediacc([
        'create',
        'task',
        '--machine',
        'web-01',
        '--secret',
        'TOKEN=API_TOKEN',
        '--command',
        `[ "$(printf %s "$TOKEN" | sha256sum | cut -c1-64)" = ${sha(SENTINEL)} ] && echo "got $TOKEN"`,
        '--wait',
      ]),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('got ***\n');
    expect(log).not.toContain(SENTINEL);
    const taskId = JSON.parse((await rediacc(['list', 'queue', '--team', 'Sec', '--json'])).stdout)[0].taskId;
    const inspect = await rediacc(['inspect', 'queue', taskId, '--json']);
    expect(JSON.parse(inspect.stdout).secrets).toEqual(['TOKEN=API_TOKEN']);
    expect(printed).not.toContain(SENTINEL);
  });

  it('re-pins a host key with machine trust', async () => {
    const other = await h.machine({ host: '127.0.0.4' });
    const wrong = await rediacc(
      // --no-check: a login check would refuse the wrong key, and this test is about re-pinning it afterwards.
      machineArgs('moved', machine, ['--host-key-fingerprint', other.hostKeyFingerprint, '--no-check', '--json']),
    );
    expect(wrong.code, wrong.stderr).toBe(0);
    const trust = await rediacc(['machine', 'trust', 'moved', '--json']);
    expect(trust.code, trust.stderr).toBe(0);
    expect(JSON.parse(trust.stdout)).toMatchObject({
      hostKeyFingerprint: machine.hostKeyFingerprint,
      previousHostKeyFingerprint: other.hostKeyFingerprint,
    });
  });

  it('rotates a machine key', async () => {
    const own = await h.machine({ host: '127.0.0.5' });
    const add = await rediacc(
      machineArgs('rot-01', own, [
        '--accept-new-host-key',
        '--authorized-keys-file',
        join(own.sshd.dir, 'authorized_keys'),
      ]),
    );
    expect(add.code, add.stderr).toBe(0);
    const rotate = await rediacc(['machine', 'rotate-key', 'rot-01', '--json']);
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(JSON.parse(rotate.stdout)).toMatchObject([{ machine: 'rot-01', oldKeyRemoved: true }]);
    const { result: run } = await withBridge(() =>
      rediacc(['create', 'task', '--machine', 'rot-01', '--command', 'echo after-rotation', '--wait']),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('after-rotation');
  });

  it('fails bridge start at once without the team key file', async () => {
    const run = await rediacc(['bridge', 'start', '--team', 'Sec', '--keys-dir', await h.tempDir('no-keys')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('RDC_TEAM_KEY');
    expect(run.stderr).toContain('Sec.key');
  });

  it.each([
    [['vault', 'set', '--team', 'Sec', '1BAD', '--stdin'], "'name'"],
    [['vault', 'set', '--team', 'bad team', 'GOOD', '--stdin'], '--team'],
    [['vault', 'set', '--team', 'Sec', 'GOOD'], '--from-file'],
    [['vault', 'list', '--team', 'a{b}'], '--team'],
    [['create', 'task', '--machine', 'web-01', '--command', 'true', '--secret', 'A=B=C'], '--secret'],
    [['create', 'task', '--machine', 'web-01', '--command', 'true', '--secret', 'RDC_X'], '--secret'],
    [['create', 'task', '--machine', 'web-01', '--command', 'true', '--task-id', 'not-a-uuid'], '--task-id'],
    [['create', 'task', '--machine', 'web 01', '--command', 'true'], '--machine'],
    [['create', 'task', '--machine', 'web-01', '--command', 'x'.repeat(70_000)], '--command'],
    [['create', 'task', '--machine', 'web-01', '--command', 'true', '--vault-data', '[1]'], '--vault-data'],
    [['inspect', 'queue', 'x;y'], 'taskId'],
    [['machine', 'add', 'a/b', '--team', 'Sec', '--host', 'h', '--key-file', 'k'], 'name'],
    [['machine', 'add', 'ok', '--team', 'Sec', '--host', 'h;x', '--key-file', 'k'], '--host'],
    [['machine', 'trust', 'web-01', '--host-key-fingerprint', 'MD5:aa'], '--host-key-fingerprint'],
    [['machine', 'rotate-key'], 'rotate-key'],
    [['bridge', 'start', '--team', 'Sec,{x}'], '--team'],
    [['team', 'create', 'has space'], 'name'],
  ])('rejects bad input (%#) with exit code 2 and a message naming the flag, changing nothing', async (args, flag) => {
    const before = (await rediacc(['vault', 'list', '--team', 'Sec', '--json'])).stdout;
    const run = await rediacc(args);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.split('\n')[0]).toContain(flag);
    expect((await rediacc(['vault', 'list', '--team', 'Sec', '--json'])).stdout).toBe(before);
  });

  it.each([
    ['an empty file', ''],
    ['a file of NUL bytes', '\0\0\0\0'],
    ['a file that is not UTF-8', Buffer.from([0xff, 0xfe, 0x00, 0x41])],
  ])('rejects %s as a vault value with exit code 2 and stores nothing', async (_what, content) => {
    const file = join(await h.tempDir('bad-value'), 'value');
    await writeFile(file, content);
    const run = await rediacc(['vault', 'set', '--team', 'Sec', 'BAD_VALUE', '--from-file', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--from-file');
    expect((await rediacc(['vault', 'list', '--team', 'Sec', '--json'])).stdout).not.toContain('BAD_VALUE');
  });
});
