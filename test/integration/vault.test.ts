// The team vault through the SDK: values sealed on the client, ciphertext in Redis, names-only listing, and tasks
// that name a secret the vault lacks refused at create time.
import { open, registryKeys } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeamWithMachine, useHarness } from '../harness/index.js';

const h = useHarness();
let client: RediaccClient;
let redis: Redis;
let secretKey: string;
const SENTINEL = 'SENTINEL-vault-set-9f3e2a';

beforeAll(async () => {
  const server = await h.redis();
  client = createClient({ redis: server.url });
  redis = new Redis(server.url);
  const machine = await h.machine();
  secretKey = (await addTeamWithMachine(client, 'V', machine)).V ?? '';
  await client.teams.create('W');
});

afterAll(async () => {
  redis?.disconnect();
  await client?.close();
});

describe('vault', () => {
  it('stores a value sealed to the team key: Redis holds ciphertext that only the team key opens', async () => {
    await client.vault.set('V', 'API_TOKEN', SENTINEL);
    const raw = await redis.hget(registryKeys.vault('V'), 'API_TOKEN');
    expect(raw).not.toBeNull();
    expect(raw).not.toContain(SENTINEL);
    const record = JSON.parse(raw ?? '{}');
    expect(record.kind).toBe('secret');
    expect(open(record.sealed, secretKey)).toBe(SENTINEL);
  });

  it('lists names and kinds, never values, and keeps teams apart', async () => {
    await client.vault.set('V', 'DB_PASSWORD', 'hunter2-hunter2');
    const listed = await client.vault.list('V');
    expect(listed.map((e) => [e.name, e.kind])).toEqual([
      ['API_TOKEN', 'secret'],
      ['DB_PASSWORD', 'secret'],
      ['ssh-key/m1', 'ssh-key'],
    ]);
    expect(JSON.stringify(listed)).not.toContain(SENTINEL);
    expect(await client.vault.list('W')).toEqual([]);
  });

  it('replaces a value on a second set and deletes it', async () => {
    await client.vault.set('V', 'ROTATING', 'one-value');
    await client.vault.set('V', 'ROTATING', 'two-value');
    const record = JSON.parse((await redis.hget(registryKeys.vault('V'), 'ROTATING')) ?? '{}');
    expect(open(record.sealed, secretKey)).toBe('two-value');
    await client.vault.delete('V', 'ROTATING');
    expect((await client.vault.list('V')).map((e) => e.name)).not.toContain('ROTATING');
    await expect(client.vault.delete('V', 'ROTATING')).rejects.toMatchObject({ code: 'RDC_VAULT_UNKNOWN' });
  });

  it.each([
    ['1ABC', 'a leading digit'],
    ['RDC_TOKEN', 'the reserved RDC_ prefix'],
    ['has-dash', 'a dash'],
    ['', 'an empty name'],
    ['ssh-key/m1', "a machine's SSH key entry"],
  ])('refuses the secret name %j (%s) and changes nothing', async (name) => {
    const before = await redis.hgetall(registryKeys.vault('V'));
    await expect(client.vault.set('V', name, 'value')).rejects.toMatchObject({ code: 'RDC_INVALID_INPUT' });
    expect(await redis.hgetall(registryKeys.vault('V'))).toEqual(before);
  });

  it('refuses empty, NUL-holding and oversized values, and unknown teams', async () => {
    await expect(client.vault.set('V', 'X', '')).rejects.toMatchObject({ code: 'RDC_INVALID_INPUT' });
    await expect(client.vault.set('V', 'X', 'a\0b')).rejects.toMatchObject({ code: 'RDC_INVALID_INPUT' });
    await expect(client.vault.set('V', 'X', 'x'.repeat(64 * 1024 + 1))).rejects.toMatchObject({
      code: 'RDC_INVALID_INPUT',
    });
    await expect(client.vault.set('nope', 'X', 'v')).rejects.toMatchObject({ code: 'RDC_TEAM_UNKNOWN' });
    await expect(client.vault.set('bad name', 'X', 'v')).rejects.toMatchObject({ code: 'RDC_INVALID_INPUT' });
  });

  it('refuses at create time a task whose secret the vault lacks, naming it, and queues nothing', async () => {
    const before = await client.tasks.counts('V');
    await expect(
      client.tasks.create({ team: 'V', machine: 'm1', command: 'true', secrets: ['API_TOKEN', 'MISSING_ONE'] }),
    ).rejects.toMatchObject({ code: 'RDC_VAULT_UNKNOWN', message: expect.stringContaining('MISSING_ONE') });
    expect(await client.tasks.counts('V')).toEqual(before);
  });

  it('keeps only secret names in the job data', async () => {
    const { taskId } = await client.tasks.create({
      team: 'V',
      machine: 'm1',
      command: 'true',
      secrets: ['API_TOKEN', 'PG_PASS=DB_PASSWORD'],
    });
    const view = await client.tasks.inspect(taskId);
    expect(view.secrets).toEqual(['API_TOKEN', 'PG_PASS=DB_PASSWORD']);
    const keys = await redis.keys('rdc:{V}:*');
    for (const key of keys) {
      const type = await redis.type(key);
      const dump = type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : type;
      expect(dump).not.toContain(SENTINEL);
    }
    await expect(
      client.tasks.create({ team: 'V', machine: 'm1', command: 'true', secrets: ['A=B=C'] }),
    ).rejects.toMatchObject({ code: 'RDC_INVALID_INPUT' });
    await expect(
      client.tasks.create({ team: 'V', machine: 'm1', command: 'true', secrets: ['API_TOKEN', 'API_TOKEN'] }),
    ).rejects.toMatchObject({ code: 'RDC_INVALID_INPUT' });
  });
});
