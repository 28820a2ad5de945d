// First contact with a machine, from the rediacc CLI: `machine add` tests the login (TCP connect, host key,
// authentication, a trivial command) before it registers anything, `machine check` tests a registered machine,
// and bad input (a junk key file, a 70 KB command) gets the documented code and a message that names sizes, not text.
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { registryKeys } from '@rediacc/core';
import { generateKeyPair, startSshd } from '@rediacc/localstack';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, machineAddArgs, runCli } from '../harness/cli-run.js';
import { type TestMachine, useHarness } from '../harness/index.js';

const TEAM = 'Chk';
const h = useHarness();
let env: NodeJS.ProcessEnv;
let redis: Redis;
let machine: TestMachine;

const rediacc = (args: string[]): Promise<CliRun> => runCli(args, { env });

/** The team's machines and vault, as stored: a refused add must leave both as they were. */
async function stored(): Promise<unknown> {
  return [await redis.hgetall(registryKeys.machines(TEAM)), await redis.hgetall(registryKeys.vault(TEAM))];
}

/** `machine add` of `machine` with `--key-file` and `--host-key-fingerprint` replaced as given. */
function addArgs(name: string, changes: { keyFile?: string; fingerprint?: string; port?: number }): string[] {
  const args = machineAddArgs(machine, TEAM, name);
  const set = (flag: string, value: string | undefined) => {
    if (value !== undefined) args[args.indexOf(flag) + 1] = value;
  };
  set('--key-file', changes.keyFile);
  set('--host-key-fingerprint', changes.fingerprint);
  set('--port', changes.port === undefined ? undefined : String(changes.port));
  return args;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The arguments without their pinned host key, for --accept-new-host-key. */
function unpinned(args: string[]): string[] {
  const at = args.indexOf('--host-key-fingerprint');
  return [...args.slice(0, at), ...args.slice(at + 2), '--accept-new-host-key'];
}

async function refusedKey(): Promise<string> {
  return (await generateKeyPair(await h.tempDir('refused-key'), 'id_ed25519')).privateKeyPath;
}

beforeAll(async () => {
  const server = await h.redis();
  redis = new Redis(server.url);
  machine = await h.machine();
  env = { ...process.env, REDIS_URL: server.url, RDC_HOME: await h.tempDir('rdc-home-'), RDC_LOG_LEVEL: 'warn' };
  const team = await rediacc(['team', 'create', TEAM]);
  expect(team.code, team.stderr).toBe(0);
});

afterAll(() => redis?.disconnect());

describe('machine add tests the login first', () => {
  it('refuses a key the machine refuses, at step auth, registering nothing and sealing nothing', async () => {
    const before = await stored();
    const run = await rediacc(addArgs('wrong-key', { keyFile: await refusedKey() }));
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('error RDC_SSH_AUTH');
    expect(run.stderr).toContain('step "auth"');
    expect(run.stderr).toContain(`${TEAM}/wrong-key`);
    expect(run.stderr).toContain(`${machine.host}:${machine.port}`);
    expect(run.stderr).toContain('authorized_keys');
    expect(await stored()).toEqual(before);
  });

  it('refuses a host key other than the given fingerprint, at step host-key', async () => {
    const other = await h.machine({ host: '127.0.0.6' });
    const before = await stored();
    const run = await rediacc(addArgs('wrong-host', { fingerprint: other.hostKeyFingerprint }));
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('error RDC_HOST_KEY_MISMATCH');
    expect(run.stderr).toContain('step "host-key"');
    expect(run.stderr).toContain(machine.hostKeyFingerprint);
    expect(await stored()).toEqual(before);
  });

  it('refuses a port nothing listens on, at step connect', async () => {
    const before = await stored();
    const port = await closedPort();
    const run = await rediacc(addArgs('closed', { port }));
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('error RDC_SSH_CONNECT');
    expect(run.stderr).toContain('step "connect"');
    expect(run.stderr).toContain(`${machine.host}:${port}`);
    expect(await stored()).toEqual(before);
  });

  it('refuses a login whose commands do not run, at step command', async () => {
    const key = await generateKeyPair(await h.tempDir('forced-key'), 'id_ed25519');
    const sshd = await startSshd({
      dir: await h.tempDir('sshd-forced'),
      host: '127.0.0.7',
      authorizedKeys: [`command="false" ${key.publicKey}`],
    });
    h.own(() => sshd.stop());
    const before = await stored();
    const forced = { ...machine, sshd, host: sshd.host, port: sshd.port, privateKeyPath: key.privateKeyPath };
    const run = await rediacc(unpinned(machineAddArgs(forced, TEAM, 'forced')));
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('error RDC_SSH_COMMAND');
    expect(run.stderr).toContain('step "command"');
    expect(await stored()).toEqual(before);
  });

  it('registers a machine whose login works, pinning the host key it checked', async () => {
    const run = await rediacc([...unpinned(addArgs('good', {})), '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ name: 'good', hostKeyFingerprint: machine.hostKeyFingerprint });
    expect(await redis.hexists(registryKeys.vault(TEAM), 'ssh-key/good')).toBe(1);
  });

  it('registers without connecting with --no-check', async () => {
    const run = await rediacc([...addArgs('unchecked', { port: await closedPort() }), '--no-check', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ name: 'unchecked', hostKeyFingerprint: machine.hostKeyFingerprint });
  });

  it('refuses a junk key file with RDC_KEY_FILE, as docs/errors.md says', async () => {
    const junk = join(await h.tempDir('junk-key'), 'junk');
    await writeFile(junk, 'this is not a key\n');
    const before = await stored();
    for (const extra of [[], ['--no-check']]) {
      const run = await rediacc([...addArgs('junk', { keyFile: junk }), ...extra]);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain('error RDC_KEY_FILE');
      expect(run.stderr).toContain(junk);
    }
    expect(await stored()).toEqual(before);
  });
});

describe('machine check', () => {
  it('says a registered machine lets bridges in', async () => {
    const run = await rediacc(['machine', 'check', 'good', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      team: TEAM,
      machine: 'good',
      ok: true,
      hostKeyFingerprint: machine.hostKeyFingerprint,
    });
    const text = await rediacc(['machine', 'check', 'good', '--team', TEAM]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('login ok');
  });

  it('names the failed step of a machine registered with a refused key', async () => {
    const add = await rediacc([...addArgs('refuses', { keyFile: await refusedKey() }), '--no-check']);
    expect(add.code, add.stderr).toBe(0);
    const json = await rediacc(['machine', 'check', 'refuses', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, step: 'auth', code: 'RDC_SSH_AUTH' });
    const text = await rediacc(['machine', 'check', 'refuses']);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('error RDC_SSH_AUTH');
    expect(text.stderr).toContain('step "auth"');
  });

  it('names the failed step connect of a machine that is gone', async () => {
    const run = await rediacc(['machine', 'check', 'unchecked', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, step: 'connect', code: 'RDC_SSH_CONNECT' });
  });
});

describe('long input', () => {
  const huge = 'x'.repeat(70_000);

  it.each([
    [['create', 'task', '--machine', 'good', '--command', huge], '70000 bytes', '65536'],
    [['create', 'task', '--machine', 'good', `--command=${huge}`], '70000 bytes', '65536'],
    [['machine', 'check', huge], '70000 bytes'],
    [
      ['create', 'task', '--machine', 'good', '--command', 'true', '--vault-data', JSON.stringify({ blob: huge })],
      '70011 bytes',
      '65536',
    ],
  ])('names the size and the limit of an oversized value, never its text (%#)', async (args, ...named) => {
    const run = await rediacc(args);
    expect(run.code).toBe(2);
    expect(run.stderr.length).toBeLessThan(1_000);
    expect(run.stderr).not.toContain('x'.repeat(300));
    for (const text of named) expect(run.stderr).toContain(text);
  });
});
