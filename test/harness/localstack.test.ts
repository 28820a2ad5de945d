// Proves the harness and @rediacc/localstack with real processes: redis-server answers and keeps AOF data
// across kill -9, sshd lets the real OpenSSH client in with the generated key and pins the host key
// OpenSSH reports, signals freeze and resume servers, and closing leaves nothing running.
import { execFile } from 'node:child_process';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hostKeyFingerprint, type RedisServer, startSshd } from '@rediacc/localstack';
import { describe, expect, it } from 'vitest';
import { Harness, type TestMachine, useHarness, waitFor } from '../harness/index.js';
import { alive as isAlive } from './signals.js';

const run = promisify(execFile);
const h = useHarness();

function resp(args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

/**
 * Sends one RESP command over a raw socket (after AUTH with the server's password, whose +OK is dropped) and
 * returns the first reply line(s) until `lines` are read.
 */
async function redisCommand(redis: RedisServer, args: string[], lines = 1): Promise<string[]> {
  if (redis.password === undefined) return rawCommand(redis.port, resp(args), lines);
  const [ok, ...reply] = await rawCommand(redis.port, resp(['AUTH', redis.password]) + resp(args), lines + 1);
  expect(ok).toBe('+OK');
  return reply;
}

function rawCommand(port: number, payload: string, lines: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(payload));
    let buffer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5_000, () => socket.destroy(new Error('redis reply timed out')));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split('\r\n');
      if (parts.length > lines) {
        socket.destroy();
        resolve(parts.slice(0, lines));
      }
    });
    socket.on('error', reject);
  });
}

/** Resolves with the sshd banner line, or undefined when none arrives within `ms`; the socket is destroyed. */
function bannerWithin(socket: ReturnType<typeof connect>, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), ms);
    const onData = (chunk: Buffer): void => done(chunk.toString('latin1').split('\r\n')[0]);
    const done = (line: string | undefined): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(line);
    };
    socket.on('data', onData);
  });
}

async function sshEcho(machine: TestMachine, text: string): Promise<string> {
  const dir = await h.tempDir('known-hosts');
  const knownHosts = join(dir, 'known_hosts');
  const hostKey = (await readFile(machine.sshd.hostPublicKeyPath, 'utf8')).trim();
  await writeFile(knownHosts, `[${machine.host}]:${machine.port} ${hostKey}\n`);
  const { stdout } = await run(
    'ssh',
    [
      '-F',
      '/dev/null',
      '-i',
      machine.privateKeyPath,
      '-p',
      String(machine.port),
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'ConnectTimeout=10',
      `${machine.user}@${machine.host}`,
      'echo',
      text,
    ],
    { timeout: 20_000 },
  );
  return stdout.trim();
}

describe('redis-server', () => {
  it('answers PING on its port to a client that gives the password in its URL', async () => {
    const redis = await h.redis();
    expect(redis.password).toMatch(/^[\w-]{32}$/);
    expect(redis.url).toBe(`redis://:${redis.password}@127.0.0.1:${redis.port}`);
    expect(await redisCommand(redis, ['PING'])).toEqual(['+PONG']);
  });

  it('refuses a client without the password, and keeps the password out of argv and the log', async () => {
    const redis = await h.redis();
    expect(await rawCommand(redis.port, resp(['PING']), 1)).toEqual([expect.stringMatching(/^-NOAUTH/)]);
    expect(await readFile(`/proc/${redis.pid}/cmdline`, 'utf8')).not.toContain(redis.password);
    // The log's start line quotes argv, which names the config file instead of the password.
    const log = await readFile(join(redis.dir, 'redis.log'), 'utf8');
    expect(log).toContain(join(redis.dir, 'redis.conf'));
    expect(log).not.toContain(redis.password);
    expect((await stat(join(redis.dir, 'redis.conf'))).mode & 0o777).toBe(0o600);
  });

  it('runs without a password only when told to', async () => {
    const redis = await h.redis({ password: false });
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await redisCommand(redis, ['PING'])).toEqual(['+PONG']);
  });

  it('refuses a data directory another live redis-server runs on, and takes over one a dead server left', async () => {
    const first = await h.redis({ appendOnly: true });
    await expect(h.redis({ dir: first.dir })).rejects.toThrow(
      new RegExp(`redis-server \\(pid ${first.pid}\\) still runs on the data directory`),
    );
    const pid = first.pid!;
    first.kill('SIGKILL');
    await waitFor('redis-server to die', () => !isAlive(pid) || undefined);
    const second = await h.redis({ dir: first.dir });
    expect(await redisCommand(second, ['PING'])).toEqual(['+PONG']);
  });

  it('keeps AOF data and its port when restarted after kill -9', async () => {
    const redis = await h.redis({ appendOnly: true, appendFsync: 'always' });
    const firstPid = redis.pid!;
    expect(await redisCommand(redis, ['SET', 'survivor', 'still-here'])).toEqual(['+OK']);

    redis.kill('SIGKILL');
    await redis.restart();

    expect(redis.pid).toBeDefined();
    expect(redis.pid).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);
    expect(await redisCommand(redis, ['GET', 'survivor'], 2)).toEqual(['$10', 'still-here']);
  });

  it('stop leaves no process, twice in a row, and restart brings it back', async () => {
    const redis = await h.redis();
    const pid = redis.pid!;
    await redis.stop();
    await redis.stop();
    expect(redis.pid).toBeUndefined();
    expect(isAlive(pid)).toBe(false);
    await redis.restart();
    expect(await redisCommand(redis, ['PING'])).toEqual(['+PONG']);
  });

  it('refuses a fixed port that is taken, quoting the reason from its log', async () => {
    const first = await h.redis();
    await expect(h.redis({ port: first.port })).rejects.toThrow(/exited with code 1 before it was ready[\s\S]*in use/);
  });
});

describe('sshd', () => {
  it('lets the OpenSSH client in with the generated key and a pinned host key', async () => {
    const machine = await h.machine();
    expect(await sshEcho(machine, 'hi')).toBe('hi');
    // Readiness probes identify themselves, so sshd logs nothing at LogLevel ERROR for them.
    const log = await readFile(join(machine.sshd.dir, 'sshd.log'), 'utf8');
    expect(log).not.toMatch(/kex_exchange_identification/);
  });

  it('reports the host key fingerprint ssh-keygen -lf prints', async () => {
    const machine = await h.machine();
    const { stdout } = await run('ssh-keygen', ['-lf', machine.sshd.hostPublicKeyPath]);
    expect(stdout.split(' ')[1]).toBe(machine.hostKeyFingerprint);
    const line = await readFile(machine.sshd.hostPublicKeyPath, 'utf8');
    expect(hostKeyFingerprint(line)).toBe(machine.hostKeyFingerprint);
    expect(machine.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('runs two machines at once on 127.0.0.2 and 127.0.0.3', async () => {
    const [second, third] = await Promise.all([h.machine({ host: '127.0.0.2' }), h.machine({ host: '127.0.0.3' })]);
    expect([second.host, third.host]).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(second.hostKeyFingerprint).not.toBe(third.hostKeyFingerprint);
    expect(await Promise.all([sshEcho(second, 'two'), sshEcho(third, 'three')])).toEqual(['two', 'three']);
  });

  it('hangs new connections while SIGSTOPped and serves them after SIGCONT', async () => {
    const machine = await h.machine();
    machine.sshd.kill('SIGSTOP');
    // The kernel still completes the TCP handshake from the listen backlog; only the banner is missing.
    const socket = connect({ host: machine.host, port: machine.port });
    socket.on('error', () => {});
    try {
      expect(await bannerWithin(socket, 1_000)).toBeUndefined();
      machine.sshd.kill('SIGCONT');
      expect(await bannerWithin(socket, 5_000)).toMatch(/^SSH-2\.0-OpenSSH/);
    } finally {
      socket.destroy();
      machine.sshd.kill('SIGCONT');
    }
    expect(await sshEcho(machine, 'resumed')).toBe('resumed');
  });

  it('keeps its port and host key when restarted after kill -9', async () => {
    const machine = await h.machine();
    const hostKey = await readFile(machine.sshd.hostPublicKeyPath, 'utf8');
    machine.sshd.kill('SIGKILL');
    await machine.sshd.restart();
    expect(machine.sshd.port).toBe(machine.port);
    expect(await readFile(machine.sshd.hostPublicKeyPath, 'utf8')).toBe(hostKey);
    expect(await sshEcho(machine, 'again')).toBe('again');
  });

  it('refuses a data directory another live sshd runs on', async () => {
    const machine = await h.machine();
    await expect(startSshd({ dir: machine.sshd.dir, authorizedKeys: [machine.publicKey] })).rejects.toThrow(
      `sshd (pid ${machine.sshd.pid}) still runs on the data directory ${machine.sshd.dir}`,
    );
    expect(await sshEcho(machine, 'untouched')).toBe('untouched');
  });

  it('stop leaves no sshd process', async () => {
    const machine = await h.machine();
    const pid = machine.sshd.pid!;
    expect(isAlive(pid)).toBe(true);
    await machine.sshd.stop();
    expect(machine.sshd.pid).toBeUndefined();
    expect(isAlive(pid)).toBe(false);
  });
});

describe('Harness', () => {
  it('close stops every server, removes its directories and may be called again', async () => {
    const harness = new Harness();
    const redis = await harness.redis();
    const machine = await harness.machine({ host: '127.0.0.4' });
    const pids = [redis.pid!, machine.sshd.pid!];
    const dirs = [redis.dir, machine.sshd.dir];

    await harness.close();
    await harness.close();

    expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
    for (const dir of dirs) await expect(access(dir)).rejects.toThrow();
    await expect(harness.tempDir()).rejects.toThrow(/closed/);
  });
});
