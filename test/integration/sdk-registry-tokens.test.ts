// The SDK methods no other test calls directly: client.teams.list/get, client.machines.list, client.bridges.list
// and live, client.dashboardTokens.create/list/revoke. Each with what it returns and a bad input it refuses.
import { startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestMachine, useHarness } from '../harness/index.js';

const h = useHarness();
let client: RediaccClient;
let redisUrl: string;
let machine: TestMachine;
let secretKey: string;

beforeAll(async () => {
  redisUrl = (await h.redis()).url;
  client = createClient({ redis: redisUrl, actor: 'sdk-test' });
  machine = await h.machine();
  ({ secretKey } = await client.teams.create('Alpha'));
  await client.teams.create('Beta');
  for (const [team, name] of [
    ['Alpha', 'a1'],
    ['Alpha', 'a2'],
    ['Beta', 'b1'],
  ] as const) {
    await client.machines.add({
      team,
      name,
      host: machine.host,
      port: machine.port,
      user: machine.user,
      keyFile: machine.privateKeyPath,
      hostKeyFingerprint: machine.hostKeyFingerprint,
    });
  }
});

afterAll(async () => {
  await client?.close();
});

describe('client.teams', () => {
  it('lists every team and gets one by name', async () => {
    expect((await client.teams.list()).map((t) => t.name).sort()).toEqual(['Alpha', 'Beta']);
    expect(await client.teams.get('Beta')).toMatchObject({ name: 'Beta', publicKey: expect.any(String) });
  });

  it('refuses an unknown team (RDC_TEAM_UNKNOWN) and a malformed name (RDC_INVALID_INPUT)', async () => {
    await expect(client.teams.get('Gamma')).rejects.toMatchObject({ code: 'RDC_TEAM_UNKNOWN' });
    await expect(client.teams.get('no spaces')).rejects.toMatchObject({ code: 'RDC_INVALID_INPUT' });
  });
});

describe('client.machines.list', () => {
  it("lists every team's machines, or one team's, without their keys", async () => {
    expect((await client.machines.list()).map((m) => `${m.team}/${m.name}`).sort()).toEqual([
      'Alpha/a1',
      'Alpha/a2',
      'Beta/b1',
    ]);
    const alpha = await client.machines.list('Alpha');
    expect(alpha.map((m) => m.name).sort()).toEqual(['a1', 'a2']);
    expect(JSON.stringify(alpha)).not.toContain('PRIVATE KEY');
  });

  it('refuses a malformed team name', async () => {
    await expect(client.machines.list('no spaces')).rejects.toMatchObject({ code: 'RDC_INVALID_INPUT' });
  });
});

describe('client.bridges', () => {
  it('lists a live bridge once with the teams it serves, and live() by team', async () => {
    expect(await client.bridges.list()).toEqual([]);
    const bridge = await startBridge(
      { redisUrl, teams: ['Alpha'], teamKeys: { Alpha: secretKey }, name: 'sdk-bridge' },
      { logger: createLogger({ name: 'test', level: 'silent' }) },
    );
    try {
      const listed = await client.bridges.list();
      expect(listed).toMatchObject([{ teams: ['Alpha'] }]);
      expect(listed[0]?.id).toContain('sdk-bridge');
      expect(await client.bridges.list({ team: 'Beta' })).toEqual([]);
      expect((await client.bridges.live('Alpha')).map((b) => b.id)).toEqual([listed[0]?.id]);
    } finally {
      await bridge.close();
    }
  });

  it('refuses an unknown team in list and a malformed one in live', async () => {
    await expect(client.bridges.list({ team: 'Gamma' })).rejects.toMatchObject({ code: 'RDC_TEAM_UNKNOWN' });
    await expect(client.bridges.live('no spaces')).rejects.toMatchObject({ code: 'RDC_INVALID_INPUT' });
  });
});

describe('client.dashboardTokens', () => {
  it('creates a token shown once, lists it without the secret, and revokes it', async () => {
    const { token, record } = await client.dashboardTokens.create({
      role: 'operator',
      team: 'Alpha',
      expiresInMs: 60_000,
    });
    expect(record).toMatchObject({ role: 'operator', team: 'Alpha', createdBy: 'sdk-test' });
    expect(record).not.toHaveProperty('hash');
    expect(record.expiresAt).toBeGreaterThan(Date.now());
    const listed = await client.dashboardTokens.list();
    expect(listed.map((t) => t.id)).toContain(record.id);
    expect(JSON.stringify(listed)).not.toContain(token);
    expect(await client.dashboardTokens.revoke(record.id)).toMatchObject({ id: record.id });
    expect((await client.dashboardTokens.list()).map((t) => t.id)).not.toContain(record.id);
  });

  it('refuses to revoke an unknown token (RDC_TOKEN_UNKNOWN) and to create one of an unknown role', async () => {
    const { record } = await client.dashboardTokens.create({ role: 'viewer' });
    await client.dashboardTokens.revoke(record.id);
    await expect(client.dashboardTokens.revoke(record.id)).rejects.toMatchObject({ code: 'RDC_TOKEN_UNKNOWN' });
    await expect(client.dashboardTokens.create({ role: 'root' as unknown as 'admin' })).rejects.toMatchObject({
      code: 'RDC_INVALID_INPUT',
    });
  });
});
