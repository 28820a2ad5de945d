// machine rotate-key: the new key is installed, verified, stored, and the old one removed; any failure on the way
// leaves the old key logging in and the vault as it was.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Bridge, rotateMachineKey, startBridge } from '@rediacc/bridge';
import { createLogger, open, registryKeys } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { readAudit } from '@rediacc/queue';
import { Redis } from 'ioredis';
import { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestMachine, useHarness } from '../harness/index.js';

const WAIT = { timeoutMs: 20_000 };
const h = useHarness();
let client: RediaccClient;
let redis: Redis;
let machine: TestMachine;
let teamKey: string;
let bridge: Bridge;
let authorizedKeys: string;

/** Whether `privateKey` logs in to the machine right now (a plain ssh2 client, no pool). */
function logsIn(privateKey: string | Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const c = new Client();
    c.on('ready', () => {
      c.end();
      resolve(true);
    });
    c.on('error', () => resolve(false));
    c.connect({ host: machine.host, port: machine.port, username: machine.user, privateKey, readyTimeout: 10_000 });
  });
}

async function vaultKey(name: string): Promise<string> {
  const record = JSON.parse((await redis.hget(registryKeys.vault('R'), `ssh-key/${name}`)) ?? '{}');
  return open(record.sealed, teamKey);
}

async function addMachine(name: string): Promise<void> {
  await client.machines.add({
    name,
    team: 'R',
    host: machine.host,
    port: machine.port,
    user: machine.user,
    keyFile: machine.privateKeyPath,
    hostKeyFingerprint: machine.hostKeyFingerprint,
    authorizedKeysFile: authorizedKeys,
  });
}

beforeAll(async () => {
  const server = await h.redis();
  client = createClient({ redis: server.url });
  redis = new Redis(server.url);
  machine = await h.machine();
  authorizedKeys = join(machine.sshd.dir, 'authorized_keys');
  teamKey = (await client.teams.create('R')).secretKey;
  bridge = await startBridge(
    { redisUrl: server.url, teams: ['R'], teamKeys: { R: teamKey }, registryTtlMs: 0 },
    { logger: createLogger({ name: 'test', level: 'silent' }) },
  );
});

afterAll(async () => {
  await bridge?.close();
  redis?.disconnect();
  await client?.close();
});

describe('machine key rotation', () => {
  it('leaves the old key working and the vault unchanged when the new key cannot be verified', async () => {
    await addMachine('broken');
    const fileBefore = await readFile(authorizedKeys, 'utf8');
    const vaultBefore = await redis.hgetall(registryKeys.vault('R'));
    const recordBefore = await client.machines.get('broken', 'R');
    await expect(
      rotateMachineKey({
        redis,
        team: 'R',
        machine: 'broken',
        teamKey,
        verifyLogin: async () => {
          throw new Error('verification broken on purpose');
        },
      }),
    ).rejects.toMatchObject({ code: 'RDC_KEY_ROTATION', message: expect.stringContaining('verification broken') });
    expect(await readFile(authorizedKeys, 'utf8'), 'the half-installed key is removed again').toBe(fileBefore);
    expect(await redis.hgetall(registryKeys.vault('R'))).toEqual(vaultBefore);
    expect(await client.machines.get('broken', 'R')).toEqual(recordBefore);
    expect(await logsIn(await readFile(machine.privateKeyPath))).toBe(true);
    const { taskId } = await client.tasks.create({ team: 'R', machine: 'broken', command: 'echo still' });
    expect((await client.tasks.wait(taskId, WAIT)).status).toBe('COMPLETED');
    await client.machines.remove('R', 'broken');
    const rotations = (await readAudit(redis, 'R')).entries.filter((e) => e.action === 'key.rotate');
    expect(rotations.map((e) => [e.target, e.outcome, e.detail?.code])).toEqual([
      ['broken', 'failed', 'RDC_KEY_ROTATION'],
    ]);
  });

  it('installs and verifies a new key, stores it in the vault, and removes the old one', async () => {
    await addMachine('m1');
    const oldKey = await readFile(machine.privateKeyPath, 'utf8');
    const before = await client.machines.get('m1', 'R');
    // A file whose last line has no newline must not get the new key glued to it.
    await writeFile(authorizedKeys, (await readFile(authorizedKeys, 'utf8')).trimEnd());
    const result = await rotateMachineKey({ redis, team: 'R', machine: 'm1', teamKey });
    expect(result).toMatchObject({ team: 'R', machine: 'm1', oldKeyRemoved: true });
    expect(result.oldKeyFingerprint).toBe(before.keyFingerprint);
    expect(result.newKeyFingerprint).not.toBe(before.keyFingerprint);

    const newKey = await vaultKey('m1');
    expect(newKey).not.toBe(oldKey);
    expect(newKey).toContain('OPENSSH PRIVATE KEY');
    const after = await client.machines.get('m1', 'R');
    expect(after.keyFingerprint).toBe(result.newKeyFingerprint);
    const lines = (await readFile(authorizedKeys, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(machine.publicKey.split(' ')[1]);
    expect(await logsIn(newKey)).toBe(true);
    expect(await logsIn(oldKey)).toBe(false);
    const { taskId } = await client.tasks.create({ team: 'R', machine: 'm1', command: 'echo rotated' });
    const done = await client.tasks.wait(taskId, WAIT);
    expect(done.status, done.error ?? '').toBe('COMPLETED');
    expect(JSON.stringify(await redis.hgetall(registryKeys.vault('R')))).not.toContain(newKey.split('\n')[1]);
    const rotated = (await readAudit(redis, 'R')).entries.filter((e) => e.action === 'key.rotate' && e.target === 'm1');
    expect(rotated.map((e) => [e.outcome, e.detail?.newKeyFingerprint])).toEqual([['ok', result.newKeyFingerprint]]);
    // The log names fingerprints, never key material.
    expect(JSON.stringify(rotated)).not.toContain(newKey.split('\n')[1]);
  });

  it('rotates again from the rotated key, and refuses a wrong team key without touching anything', async () => {
    const first = await vaultKey('m1');
    await expect(
      rotateMachineKey({ redis, team: 'R', machine: 'm1', teamKey: (await client.teams.create('R2')).secretKey }),
    ).rejects.toMatchObject({ code: 'RDC_TEAM_KEY' });
    expect(await vaultKey('m1')).toBe(first);
    await rotateMachineKey({ redis, team: 'R', machine: 'm1', teamKey });
    const second = await vaultKey('m1');
    expect(second).not.toBe(first);
    expect(await logsIn(second)).toBe(true);
    expect(await logsIn(first)).toBe(false);
  });
});
