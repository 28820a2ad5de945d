// `rediacc up` as a user meets it: the stack it starts is private to the user who started it (a password only that
// user can read, which every other command finds by itself), a second `up` on the same RDC_HOME attaches instead of
// corrupting the first, and connection mistakes (nothing listening, a password Redis does not expect, a wrong one)
// fail with a clear error that never shows the password.
import { execFile } from 'node:child_process';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { CLI_BIN, runCli } from '../harness/cli-run.js';
import { freePort } from '../harness/free-port.js';
import { useHarness, waitFor } from '../harness/index.js';
import { alive as isAlive } from '../harness/signals.js';
import { startUp } from '../harness/up-run.js';

const run = promisify(execFile);
const h = useHarness();

function rediacc(args: string[], env: NodeJS.ProcessEnv) {
  return runCli(args, { env: { ...process.env, RDC_LOG_LEVEL: 'warn', REDIS_URL: '', ...env }, timeoutMs: 60_000 });
}

/** Runs a program as the unprivileged user `nobody` (the tests run as root). */
function asNobody(program: string, args: string[], env: Record<string, string>) {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return run('runuser', ['-u', 'nobody', '--', 'env', ...assignments, program, ...args], { timeout: 30_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? 1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

describe('rediacc up keeps its stack private to the user who started it', () => {
  it('another local user can neither connect without the password nor read it, while the owner needs no REDIS_URL', async () => {
    const home = await h.tempDir('up-home');
    const up = await startUp(h, home);

    // Protected by a password: a connection without one is refused.
    const anonymous = new Redis({
      host: '127.0.0.1',
      port: up.port,
      enableReadyCheck: false,
      retryStrategy: () => null,
    });
    anonymous.on('error', () => {});
    try {
      await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    } finally {
      anonymous.disconnect();
    }

    // Another user, even pointed at the port, runs nothing as root.
    const intruder = await asNobody(
      process.execPath,
      [CLI_BIN, 'create', 'task', '--machine', 'demo-01', '--command', 'whoami', '--wait'],
      { REDIS_URL: `redis://127.0.0.1:${up.port}`, RDC_HOME: '/tmp/nobody-rdc-home', RDC_LOG_LEVEL: 'warn' },
    );
    expect(intruder.code).not.toBe(0);
    expect(intruder.stdout).not.toContain('root');
    expect(intruder.stderr).toContain('RDC_REDIS_AUTH');

    // The password lives in a file only the owner reads, and not in any process's argv.
    const stackFile = join(home, 'up', 'stack.json');
    expect((await stat(stackFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'up'))).mode & 0o777).toBe(0o700);
    const peek = await asNobody('cat', [stackFile], {});
    expect(peek.code).not.toBe(0);
    const { url } = JSON.parse(await readFile(stackFile, 'utf8')) as { url: string };
    const password = decodeURIComponent(new URL(url).password);
    expect(password.length).toBeGreaterThanOrEqual(20);
    const { stdout: ps } = await run('ps', ['-eo', 'args']);
    expect(ps).not.toContain(password);
    expect(up.output()).not.toContain(password);

    // The owner's commands find the stack by themselves: no REDIS_URL.
    const owner = await rediacc(
      ['create', 'task', '--machine', 'demo-01', '--command', 'echo owner-was-here', '--wait', '--json'],
      { RDC_HOME: home },
    );
    expect(owner.code, owner.stderr).toBe(0);
    expect(owner.stdout).toContain('owner-was-here');

    // A failed try: the bridge's warning goes to the stack's log file (the owner's only), not into up's terminal.
    const failing = await rediacc(['create', 'task', '--machine', 'demo-01', '--command', 'exit 3', '--json'], {
      RDC_HOME: home,
    });
    expect(failing.code, failing.stderr).toBe(0);
    const { taskId } = JSON.parse(failing.stdout) as { taskId: string };
    const logFile = join(home, 'up', 'stack.log');
    expect(up.stdout()).toContain(`its log: ${logFile}`);
    const warned = await waitFor('the failed try in the stack log', async () => {
      const lines = (await readFile(logFile, 'utf8').catch(() => '')).split('\n');
      return lines.find((line) => line.includes(taskId) && line.includes('task try failed'));
    });
    expect(JSON.parse(warned)).toMatchObject({ name: 'bridge', msg: 'task try failed' });
    expect((await stat(logFile)).mode & 0o777).toBe(0o600);
    expect(up.output()).not.toContain(taskId);
    expect(up.output()).not.toContain('"level"');
  });
});

describe('a second rediacc up on the same RDC_HOME', () => {
  it('attaches to the running stack (exit 0, its URL without the password) and leaves it intact', async () => {
    const home = await h.tempDir('up-home');
    const first = await startUp(h, home);
    const redisPidFile = join(home, 'up', 'redis', 'redis.pid');
    const redisPid = await readFile(redisPidFile, 'utf8');

    const second = await rediacc(['up', '--exit', '--port', String(await freePort())], { RDC_HOME: home });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('already running');
    expect(second.stdout).toContain(`127.0.0.1:${first.port}`);
    expect(second.stdout).not.toMatch(/COMPLETED/);

    expect(await readFile(redisPidFile, 'utf8')).toBe(redisPid);
    const list = await rediacc(['list', 'queue', '--json'], { RDC_HOME: home });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toHaveLength(5);
  });

  it('takes over a stack whose up died, but refuses while its redis-server or sshd still runs on its data directory', async () => {
    const home = await h.tempDir('up-home');
    const first = await startUp(h, home);
    const redisPid = Number.parseInt(await readFile(join(home, 'up', 'redis', 'redis.pid'), 'utf8'), 10);
    // kill -9: no clean-up runs, the redis-server it started lives on with the data directory.
    first.child.kill('SIGKILL');
    await waitFor('the first up to die', () => first.child.signalCode ?? undefined);
    // Its sshd is orphaned too: a later up starts its own on a new port.
    const sshdPid = Number.parseInt(await readFile(join(home, 'up', 'sshd', 'sshd.pid'), 'utf8'), 10);
    h.own(async () => {
      for (const pid of [redisPid, sshdPid]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    });
    expect(isAlive(redisPid)).toBe(true);

    const refused = await rediacc(['up', '--exit', '--port', String(await freePort())], { RDC_HOME: home });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`redis-server (pid ${redisPid})`);
    expect(refused.stderr).toContain(join(home, 'up', 'redis'));

    process.kill(redisPid, 'SIGKILL');
    await waitFor('the orphan redis-server to die', () => !isAlive(redisPid) || undefined);
    const sshdRefused = await rediacc(['up', '--exit', '--port', String(await freePort())], { RDC_HOME: home });
    expect(sshdRefused.code).not.toBe(0);
    expect(sshdRefused.stderr).toContain(`sshd (pid ${sshdPid}) still runs on the data directory`);

    process.kill(sshdPid, 'SIGTERM');
    await waitFor('the orphan sshd to die', () => !isAlive(sshdPid) || undefined);
    const again = await rediacc(['up', '--exit', '--port', String(await freePort())], { RDC_HOME: home });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.match(/COMPLETED/g)).toHaveLength(5);
  });

  it('keeps what the user set on demo-01 (tags, max concurrent) when up starts again on the same data', async () => {
    const home = await h.tempDir('up-home');
    const first = await startUp(h, home, ['--no-dashboard']);
    for (const args of [
      ['machine', 'tag', 'demo-01', 'role=web', 'env=demo'],
      ['machine', 'set', 'demo-01', '--max-concurrent', '2'],
    ]) {
      const set = await rediacc(args, { RDC_HOME: home });
      expect(set.code, set.stderr).toBe(0);
    }
    const demo = async () => {
      const list = await rediacc(['machine', 'list', '--json'], { RDC_HOME: home });
      expect(list.code, list.stderr).toBe(0);
      return (
        JSON.parse(list.stdout) as { name: string; addedAt: number; tags?: object; maxConcurrent?: number }[]
      ).find((m) => m.name === 'demo-01');
    };
    const before = await demo();
    first.child.kill('SIGTERM');
    await first.exited;

    await startUp(h, home, ['--no-dashboard']);
    const after = await demo();
    expect(after?.addedAt, 'up registered demo-01 anew, at its new sshd').toBeGreaterThan(before?.addedAt ?? 0);
    expect(after).toMatchObject({ tags: { role: 'web', env: 'demo' }, maxConcurrent: 2 });
  });

  it('stops its redis-server and sshd when its terminal hangs up (SIGHUP), leaving nothing behind', async () => {
    const home = await h.tempDir('up-home');
    const up = await startUp(h, home);
    const redisPid = Number.parseInt(await readFile(join(home, 'up', 'redis', 'redis.pid'), 'utf8'), 10);
    const sshdPid = Number.parseInt(await readFile(join(home, 'up', 'sshd', 'sshd.pid'), 'utf8'), 10);
    h.own(async () => {
      for (const pid of [redisPid, sshdPid]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    });
    up.child.kill('SIGHUP');
    const code = await new Promise<number | null>((resolve) => {
      if (up.child.exitCode !== null) resolve(up.child.exitCode);
      else up.child.once('exit', (exitCode) => resolve(exitCode));
    });
    expect(code).toBe(0);
    expect(isAlive(redisPid)).toBe(false);
    expect(isAlive(sshdPid)).toBe(false);
    await expect(access(join(home, 'up', 'stack.json'))).rejects.toThrow();
  });

  it('takes over a lock file left by a process that no longer exists', async () => {
    const home = await h.tempDir('up-home');
    const up = await rediacc(['up', '--exit', '--port', String(await freePort())], { RDC_HOME: home });
    expect(up.code, up.stderr).toBe(0);
    // A pid that cannot be alive: above the kernel's pid_max.
    await writeFile(join(home, 'up', 'stack.json'), JSON.stringify({ pid: 4_194_305 }), { mode: 0o600 });
    const again = await rediacc(['up', '--exit', '--port', String(await freePort())], { RDC_HOME: home });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.match(/COMPLETED/g)).toHaveLength(5);
  });
});

describe('connection mistakes fail clearly', () => {
  it('an unreachable Redis names host, port and cause, not ioredis options', async () => {
    const port = await freePort();
    const result = await rediacc(['list', 'queue'], { REDIS_URL: `redis://:s3cret-pw@127.0.0.1:${port}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach Redis at 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(result.stderr).not.toMatch(/maxRetriesPerRequest|max retries/i);
    expect(result.stderr).not.toContain('s3cret-pw');
  });

  it('a password given to a Redis that needs none fails instead of warning', async () => {
    const open = await h.redis({ password: false });
    const result = await rediacc(['list', 'queue'], { REDIS_URL: `redis://:s3cret-pw@127.0.0.1:${open.port}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('RDC_REDIS_AUTH');
    expect(result.stderr).toContain('needs no password');
    expect(result.stderr).not.toContain('[WARN]');
    expect(result.stderr).not.toContain('s3cret-pw');
  });

  it('a wrong password fails with RDC_REDIS_AUTH, without echoing it', async () => {
    const redis = await h.redis();
    const result = await rediacc(['list', 'queue'], { REDIS_URL: `redis://:s3cret-pw@127.0.0.1:${redis.port}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('RDC_REDIS_AUTH');
    expect(result.stderr).not.toContain('s3cret-pw');
  });
});
