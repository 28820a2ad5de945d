// Machines' SSH private keys live in the team's vault, sealed on the client; bridges open them in memory. Records
// from before the vault (a key file path) keep working.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Bridge, reloadMachineKey, startBridge } from '@rediacc/bridge';
import { createLogger, machineRecordSchema, open, registryKeys } from '@rediacc/core';
import { hostKeyFingerprint } from '@rediacc/localstack';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestMachine, useHarness } from '../harness/index.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const WAIT = { timeoutMs: 20_000 };
const h = useHarness();
let client: RediaccClient;
let redis: Redis;
let machine: TestMachine;
let secretKey: string;
let bridge: Bridge;

beforeAll(async () => {
  const server = await h.redis();
  client = createClient({ redis: server.url });
  redis = new Redis(server.url);
  machine = await h.machine();
  ({ secretKey } = await client.teams.create('K'));
  bridge = await startBridge({ redisUrl: server.url, teams: ['K'], teamKeys: { K: secretKey } }, { logger });
});

afterAll(async () => {
  await bridge?.close();
  redis?.disconnect();
  await client?.close();
});

const target = () => ({
  team: 'K',
  host: machine.host,
  port: machine.port,
  user: machine.user,
  hostKeyFingerprint: machine.hostKeyFingerprint,
});

async function runs(name: string): Promise<string> {
  const { taskId } = await client.tasks.create({ team: 'K', machine: name, command: 'echo via-vault' });
  const done = await client.tasks.wait(taskId, WAIT);
  return `${done.status} ${done.error ?? done.output}`;
}

describe('machine SSH keys in the vault', () => {
  it('seals a key read from --key-file into the vault; the record keeps only its fingerprint', async () => {
    const record = await client.machines.add({ ...target(), name: 'from-file', keyFile: machine.privateKeyPath });
    expect(record).not.toHaveProperty('keyFile');
    expect(record.keyFingerprint).toBe(hostKeyFingerprint(machine.publicKey));
    const keyText = await readFile(machine.privateKeyPath, 'utf8');
    const sealed = JSON.parse((await redis.hget(registryKeys.vault('K'), 'ssh-key/from-file')) ?? '{}');
    expect(sealed.kind).toBe('ssh-key');
    expect(open(sealed.sealed, secretKey)).toBe(keyText);
    const body = keyText.split('\n')[1] ?? '';
    expect(JSON.stringify(await redis.hgetall(registryKeys.machines('K')))).not.toContain(body);
    expect(JSON.stringify(await redis.hgetall(registryKeys.vault('K')))).not.toContain(body);
    expect(await runs('from-file')).toBe('COMPLETED via-vault\n');
  });

  it('takes the key content itself (privateKey)', async () => {
    const privateKey = await readFile(machine.privateKeyPath, 'utf8');
    await client.machines.add({ ...target(), name: 'from-content', privateKey });
    expect(await runs('from-content')).toBe('COMPLETED via-vault\n');
  });

  it('a bridge holding a key reads the vault entry again, but opens it again only when its sealed text changed', async () => {
    const keyText = await readFile(machine.privateKeyPath, 'utf8');
    const record = async () =>
      machineRecordSchema.parse(JSON.parse((await redis.hget(registryKeys.machines('K'), 'held')) ?? 'null'));
    await client.machines.add({ ...target(), name: 'held', keyFile: machine.privateKeyPath });
    const first = await reloadMachineKey(redis, await record(), secretKey, undefined);
    expect(first.key.privateKey).toBe(keyText);
    // Unchanged in the vault: the very key held, not opened again.
    expect(await reloadMachineKey(redis, await record(), secretKey, first)).toBe(first);
    // Re-added (sealed anew, another nonce): opened again.
    await client.machines.remove('K', 'held');
    await client.machines.add({ ...target(), name: 'held', keyFile: machine.privateKeyPath });
    const resealed = await reloadMachineKey(redis, await record(), secretKey, first);
    expect(resealed).not.toBe(first);
    expect(resealed.key.privateKey).toBe(keyText);
    // Gone from the vault: refused, whatever the bridge still holds.
    await redis.hdel(registryKeys.vault('K'), 'ssh-key/held');
    await expect(reloadMachineKey(redis, await record(), secretKey, resealed)).rejects.toThrow(
      /not in the team's vault/,
    );
  });

  it('keeps running machines whose record (from before the vault) names a key file', async () => {
    const legacy = { ...target(), name: 'legacy', port: machine.port, keyFile: machine.privateKeyPath, addedAt: 1 };
    await redis.hset(registryKeys.machines('K'), 'legacy', JSON.stringify(legacy));
    expect(await runs('legacy')).toBe('COMPLETED via-vault\n');
  });

  it('fails a task clearly when the machine key is missing from the vault', async () => {
    await client.machines.add({ ...target(), name: 'keyless', keyFile: machine.privateKeyPath });
    await redis.hdel(registryKeys.vault('K'), 'ssh-key/keyless');
    const result = await runs('keyless');
    expect(result).toContain('FAILED');
    expect(result).toContain('not in the team');
  });

  it.each([
    ['an empty file', ''],
    ['a public key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFHJQCb83JgogLu/ktBtBsoGiHk8kQL3MkyZiTSV27Nn x\n'],
    [
      'a truncated key',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
    ],
    [
      'a passphrase-protected PEM key',
      '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n',
    ],
  ])('refuses %s as a machine key and changes nothing', async (_what, text) => {
    const file = join(await h.tempDir('bad-key'), 'key');
    await writeFile(file, text);
    const before = [await redis.hgetall(registryKeys.machines('K')), await redis.hgetall(registryKeys.vault('K'))];
    await expect(client.machines.add({ ...target(), name: 'bad', keyFile: file })).rejects.toMatchObject({
      code: 'RDC_KEY_FILE',
    });
    expect([await redis.hgetall(registryKeys.machines('K')), await redis.hgetall(registryKeys.vault('K'))]).toEqual(
      before,
    );
  });

  it('refuses a missing key file and a machine given both or neither key form', async () => {
    await expect(client.machines.add({ ...target(), name: 'bad', keyFile: '/nonexistent/key' })).rejects.toMatchObject({
      code: 'RDC_KEY_FILE',
    });
    await expect(client.machines.add({ ...target(), name: 'bad' })).rejects.toMatchObject({
      code: 'RDC_INVALID_INPUT',
    });
    await expect(
      client.machines.add({ ...target(), name: 'bad', keyFile: machine.privateKeyPath, privateKey: 'x' }),
    ).rejects.toMatchObject({ code: 'RDC_INVALID_INPUT' });
  });

  it('removes the key from the vault with the machine', async () => {
    await client.machines.add({ ...target(), name: 'gone', keyFile: machine.privateKeyPath });
    expect(await redis.hexists(registryKeys.vault('K'), 'ssh-key/gone')).toBe(1);
    expect(await client.machines.remove('K', 'gone')).toBe(true);
    expect(await redis.hexists(registryKeys.vault('K'), 'ssh-key/gone')).toBe(0);
  });
});
