// What a bridge reads of a machine before its first connection to it: the machine's record and its SSH key's vault
// entry, together, in one round trip (issue 13, the cold fan-out), then cached for registryTtlMs.
import { readFile } from 'node:fs/promises';
import { isRdcError, registryKeys } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { getMachine, getMachineWithKey } from '@rediacc/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineRegistry } from '../../packages/bridge/src/run/index.js';
import { addTeamWithMachine, type TestMachine, useHarness } from '../harness/index.js';
import { countWaves } from '../harness/round-trips.js';

const h = useHarness();
const team = `reg${process.pid}`;
let client: RediaccClient;
let redis: Redis;
let machine: TestMachine;
let teamKeys: Map<string, string>;

beforeAll(async () => {
  const url = (await h.redis()).url;
  client = createClient({ redis: url });
  redis = new Redis(url);
  machine = await h.machine();
  teamKeys = new Map(Object.entries(await addTeamWithMachine(client, team, machine)));
});

afterAll(async () => {
  redis?.disconnect();
  await client?.close();
});

describe("a bridge's machine registry", () => {
  it("reads a machine's record and its key in one round trip, then neither again while cached", async () => {
    const registry = machineRegistry(redis, { registryTtlMs: 60_000 }, teamKeys);
    const waves = countWaves(redis);
    try {
      const record = await registry.machine(team, 'm1');
      const key = await registry.machineKey(record);
      expect(waves.waves).toHaveLength(1);
      expect(record).toMatchObject({ team, name: 'm1', host: machine.host, port: machine.port });
      expect(key.privateKey).toBe(await readFile(machine.privateKeyPath, 'utf8'));
      expect(key.source).toBe('vault entry ssh-key/m1');
      await registry.machineKey(await registry.machine(team, 'm1'));
      expect(waves.waves).toHaveLength(1);
    } finally {
      waves.stop();
    }
  });

  it('past registryTtlMs reads both again, still in one round trip each time', async () => {
    const registry = machineRegistry(redis, { registryTtlMs: 0 }, teamKeys);
    const waves = countWaves(redis);
    try {
      for (let i = 0; i < 3; i++) await registry.machineKey(await registry.machine(team, 'm1'));
      expect(waves.waves).toHaveLength(3);
    } finally {
      waves.stop();
    }
  });

  it('names an unknown machine, and a key missing from the vault', async () => {
    const registry = machineRegistry(redis, { registryTtlMs: 60_000 }, teamKeys);
    const unknown = await registry.machine(team, 'nope').catch((e: unknown) => e);
    expect(isRdcError(unknown) && unknown.code).toBe('RDC_MACHINE_UNKNOWN');
    const record = await registry.machine(team, 'm1');
    await redis.hdel(registryKeys.vault(team), 'ssh-key/m1');
    const fresh = machineRegistry(redis, { registryTtlMs: 60_000 }, teamKeys);
    const missing = await fresh.machineKey(await fresh.machine(team, 'm1')).catch((e: unknown) => e);
    expect(isRdcError(missing) && missing.code).toBe('RDC_VAULT_UNKNOWN');
    // The registry that read the entry with the record (before the removal) opens that one.
    expect((await registry.machineKey(record)).source).toBe('vault entry ssh-key/m1');
  });

  it('refuses an unknown machine, and an unknown team, as getMachine does: same code, same message', async () => {
    const refusal = (lookup: Promise<unknown>) =>
      lookup.then(
        () => 'found',
        (e: unknown) => (isRdcError(e) ? { code: e.code, message: e.message } : e),
      );
    for (const [inTeam, name, code] of [
      [team, 'nope', 'RDC_MACHINE_UNKNOWN'],
      [`${team}-none`, 'm1', 'RDC_TEAM_UNKNOWN'],
    ] as const) {
      const alone = await refusal(getMachine(redis, inTeam, name));
      expect(alone).toMatchObject({
        code,
        message: expect.stringContaining(code === 'RDC_TEAM_UNKNOWN' ? inTeam : name),
      });
      expect(await refusal(getMachineWithKey(redis, inTeam, name))).toEqual(alone);
    }
  });
});
