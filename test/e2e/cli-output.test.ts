// What the rediacc binary writes reaches its reader whole and harmless: every byte of a multi-megabyte output
// through a slow pipe, control characters from commands and machines escaped on a terminal (--json and pipes
// exact), and `./rediacc` keeping stdout for the command without rebuilding when nothing changed.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, type CliRun, machineAddArgs, runCli } from '../harness/cli-run.js';
import { useHarness } from '../harness/index.js';

const h = useHarness();
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let env: NodeJS.ProcessEnv;
let bridge: ChildProcess;

// 98,304 lines of 32 bytes: 3 MiB, ending in a newline so `create task --wait` adds nothing.
const LINE = '0123456789abcdefghijklmnopqrstu\n';
const BIG_OUTPUT = LINE.repeat(98_304);
const BIG_COMMAND = `yes ${LINE.trimEnd()} | head -c ${BIG_OUTPUT.length}`;
const bigTaskId = randomUUID();

// Raw ESC in the command itself (shown by list and inspect) and in what it prints (SGR, OSC 52, BEL, SOH).
const HOSTILE_COMMAND = `: "\x1b[2J"; printf 'a\\033[31mred\\033]52;c;aGk=\\007b\\001\\n'`;
const HOSTILE_OUTPUT = 'a\x1b[31mred\x1b]52;c;aGk=\x07b\x01\n';
const hostileTaskId = randomUUID();

function createArgs(taskId: string, command: string, ...more: string[]): string[] {
  return ['create', 'task', '--machine', 'web-01', '--task-id', taskId, '--command', command, ...more];
}

function rediacc(args: string[]): Promise<CliRun> {
  return runCli(args, { env, timeoutMs: 60_000 });
}

/** Runs the CLI with its stdout piped to a reader that reads nothing for a second, then everything. */
function rediaccToSlowReader(args: string[]): Promise<CliRun> {
  const script = 'set -o pipefail; "$@" | { sleep 1; cat; }';
  return spawnCollect('bash', ['-c', script, 'bash', process.execPath, CLI_BIN, ...args]);
}

/** Runs the CLI on a pseudo-terminal (util-linux `script`): stdout and stderr are one TTY, read back as text. */
function rediaccOnTerminal(args: string[]): Promise<CliRun> {
  const line = [process.execPath, CLI_BIN, ...args].map(shellQuote).join(' ');
  return spawnCollect('script', ['-qec', line, '/dev/null']).then((run) => ({
    ...run,
    stdout: run.stdout.replace(/\r\n/g, '\n'),
  }));
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

function spawnCollect(cmd: string, args: string[], cwd?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

beforeAll(async () => {
  const redis = await h.redis();
  const machine = await h.machine();
  env = { ...process.env, REDIS_URL: redis.url, RDC_HOME: await h.tempDir('rdc-home-'), RDC_LOG_LEVEL: 'warn' };
  expect((await rediacc(['team', 'create', 'Ops'])).code).toBe(0);
  const add = await rediacc(machineAddArgs(machine, 'Ops', 'web-01'));
  expect(add.code, add.stderr).toBe(0);
  // The default output cap (1 MiB) would cut the 3 MiB output: keep all of it.
  bridge = spawn(process.execPath, [CLI_BIN, 'bridge', 'start', '--team', 'Ops', '--output-cap', String(16 << 20)], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const hostile = await rediacc(createArgs(hostileTaskId, HOSTILE_COMMAND, '--wait'));
  expect(hostile.code, hostile.stderr).toBe(0);
});

afterAll(async () => {
  if (bridge && bridge.exitCode === null) {
    const exited = new Promise((resolve) => bridge.once('exit', resolve));
    bridge.kill('SIGTERM');
    await exited;
  }
});

describe('output through a pipe to a slow reader arrives whole', () => {
  it('create task --wait passes on all 3 MiB of the output', async () => {
    const run = await rediaccToSlowReader(createArgs(bigTaskId, BIG_COMMAND, '--wait'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.length).toBe(BIG_OUTPUT.length);
    expect(run.stdout === BIG_OUTPUT).toBe(true);
  });

  it('inspect queue --json and list queue --json print JSON that parses, output and all', async () => {
    const inspect = await rediaccToSlowReader(['inspect', 'queue', bigTaskId, '--json']);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout.length).toBeGreaterThan(3 << 20);
    const view = JSON.parse(inspect.stdout);
    expect(view.outputTruncated).toBe(false);
    expect(view.output === BIG_OUTPUT).toBe(true);

    const list = await rediaccToSlowReader(['list', 'queue', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout).find((t: { taskId: string }) => t.taskId === bigTaskId);
    expect(listed.output === BIG_OUTPUT).toBe(true);
  });

  it('a reader that stops early ends the command quietly', async () => {
    const script = 'set -o pipefail; "$@" | head -c 100 >/dev/null';
    const run = await spawnCollect('bash', [
      '-c',
      script,
      'bash',
      process.execPath,
      CLI_BIN,
      'inspect',
      'queue',
      bigTaskId,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('inspect queue prints the whole output for people too', async () => {
    const run = await rediaccToSlowReader(['inspect', 'queue', bigTaskId]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.endsWith(`output:\n${BIG_OUTPUT}`)).toBe(true);
  });
});

describe('control characters from commands and machines', () => {
  const visible = 'a\\x1b[31mred\\x1b]52;c;aGk=\\x07b\\x01';

  function expectNoControls(text: string): void {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  }

  it('inspect queue shows them escaped on a terminal', async () => {
    const run = await rediaccOnTerminal(['inspect', 'queue', hostileTaskId]);
    expect(run.code, run.stderr).toBe(0);
    expectNoControls(run.stdout);
    expect(run.stdout).toContain(`output:\n${visible}\n`);
    expect(run.stdout).toContain(': "\\x1b[2J"');
  });

  it('list queue shows the command escaped on a terminal, columns aligned', async () => {
    const run = await rediaccOnTerminal(['list', 'queue', '--team', 'Ops']);
    expect(run.code, run.stderr).toBe(0);
    expectNoControls(run.stdout);
    expect(run.stdout).toContain(': "\\x1b[2J"');
    // Columns measured on what is shown: age and command line up under their headers.
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    for (const row of rows) {
      expect(row.slice(header!.indexOf('age'))).toMatch(/^\d+[smhd] /);
      expect(row.slice(header!.indexOf('command') - 2)).toMatch(/^ {2}\S/);
    }
  });

  it('create task --wait and inspect --follow show output and errors escaped on a terminal', async () => {
    const wait = await rediaccOnTerminal(createArgs(randomUUID(), HOSTILE_COMMAND, '--wait'));
    expect(wait.code).toBe(0);
    expectNoControls(wait.stdout);
    expect(wait.stdout).toContain(`${visible}\n`);

    const follow = await rediaccOnTerminal(['inspect', 'queue', hostileTaskId, '--follow']);
    expect(follow.code).toBe(0);
    expectNoControls(follow.stdout);
    expect(follow.stdout).toContain(`${visible}\n`);

    const failed = await rediaccOnTerminal(createArgs(randomUUID(), `${HOSTILE_COMMAND}; exit 3`, '--wait'));
    expect(failed.code).toBe(3);
    expectNoControls(failed.stdout);
    expect(failed.stdout).toContain('FAILED: exit code 3: a\\x1b[31mred');
  });

  it('an error message quoting a bad argument shows it escaped on a terminal', async () => {
    const run = await rediaccOnTerminal(['inspect', 'queue', '\x1b[2Jx']);
    expect(run.code).toBe(2);
    expectNoControls(run.stdout);
    expect(run.stdout).toContain("'\\x1b[2Jx' is invalid");
  });

  it('--json on a terminal and human output into a pipe stay exact', async () => {
    const json = await rediaccOnTerminal(['inspect', 'queue', hostileTaskId, '--json']);
    expect(json.code).toBe(0);
    expectNoControls(json.stdout);
    const view = JSON.parse(json.stdout);
    expect(view.output).toBe(HOSTILE_OUTPUT);
    expect(view.command).toBe(HOSTILE_COMMAND);

    const piped = await rediacc(createArgs(randomUUID(), HOSTILE_COMMAND, '--wait'));
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(HOSTILE_OUTPUT);
  });
});

describe('./rediacc, the entry point of the README', () => {
  const entry = join(ROOT, 'rediacc');

  it('builds when sources may have changed, with the build on stderr and stdout only for the command', async () => {
    // Without setup's stamp, nothing says the build is current: setup builds (turbo replays its cache).
    rmSync(join(ROOT, 'node_modules', '.cache', 'rediacc-build-stamp'), { force: true });
    const run = await spawnCollect(entry, ['team', 'list', '--json'], ROOT);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('setup: building');
    expect(JSON.parse(run.stdout).map((t: { name: string }) => t.name)).toEqual(['Ops']);
  });

  it('runs the command without building when nothing changed', async () => {
    const builtAt = statSync(CLI_BIN).mtimeMs;
    const run = await spawnCollect(entry, ['team', 'list', '--json'], ROOT);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).map((t: { name: string }) => t.name)).toEqual(['Ops']);
    expect(run.stderr).toBe('');
    expect(statSync(CLI_BIN).mtimeMs).toBe(builtAt);
  });
});
