// Pinned host keys: a machine whose host key changes fails its tasks with a clear "host key mismatch" and runs
// nothing, without retries; `machines.trust` re-pins it after a deliberate change.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Bridge, probeHostKey, startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { generateKeyPair, hostKeyFingerprint } from '@rediacc/localstack';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeamWithMachine, type TestMachine, useHarness } from '../harness/index.js';

const WAIT = { timeoutMs: 20_000 };
const h = useHarness();
let client: RediaccClient;
let machine: TestMachine;
let bridge: Bridge | undefined;
let redisUrl: string;
let teamKeys: Record<string, string>;

/** A fresh bridge, so no pooled connection from before the change is reused. */
async function freshBridge(): Promise<void> {
  await bridge?.close();
  bridge = await startBridge(
    { redisUrl, teams: ['H'], teamKeys, registryTtlMs: 0 },
    { logger: createLogger({ name: 'test', level: 'silent' }) },
  );
}

beforeAll(async () => {
  redisUrl = (await h.redis()).url;
  client = createClient({ redis: redisUrl });
  machine = await h.machine();
  teamKeys = await addTeamWithMachine(client, 'H', machine);
});

afterAll(async () => {
  await bridge?.close();
  await client?.close();
});

describe('host keys', () => {
  it('fails tasks with a host key mismatch after the host key changed, then runs them once re-pinned', async () => {
    await freshBridge();
    const before = await client.tasks.create({ team: 'H', machine: 'm1', command: 'true' });
    expect((await client.tasks.wait(before.taskId, WAIT)).status).toBe('COMPLETED');

    // The machine gets a new host key (a reinstall, or someone in the middle).
    const fresh = await generateKeyPair(machine.sshd.dir, 'ssh_host_ed25519_key');
    await machine.sshd.restart();
    const newFingerprint = hostKeyFingerprint(fresh.publicKey);
    expect(newFingerprint).not.toBe(machine.hostKeyFingerprint);
    await freshBridge();

    const marker = join(await h.tempDir('mismatch'), 'ran');
    const { taskId } = await client.tasks.create({
      team: 'H',
      machine: 'm1',
      command: `touch ${marker}`,
      maxRetries: 2,
      retryDelay: 0,
    });
    const failed = await client.tasks.wait(taskId, WAIT);
    expect(failed.status).toBe('FAILED');
    expect(failed.errorCode).toBe('RDC_HOST_KEY_MISMATCH');
    expect(failed.error).toContain('host key mismatch');
    expect(failed.error).toContain(machine.hostKeyFingerprint);
    expect(failed.error).toContain(newFingerprint);
    expect(failed.attempts, 'a mismatch is not retried').toBe(1);
    expect(existsSync(marker)).toBe(false);

    // `machine trust` without a fingerprint reads the one the machine presents now.
    const seen = await probeHostKey(machine.host, machine.port);
    expect(seen).toBe(newFingerprint);
    const record = await client.machines.trust('m1', seen);
    expect(record.hostKeyFingerprint).toBe(newFingerprint);
    const after = await client.tasks.create({ team: 'H', machine: 'm1', command: `touch ${marker}` });
    expect((await client.tasks.wait(after.taskId, WAIT)).status).toBe('COMPLETED');
    expect(existsSync(marker)).toBe(true);
  });

  it('refuses a malformed fingerprint and an unknown machine, changing nothing', async () => {
    const current = (await client.machines.get('m1', 'H')).hostKeyFingerprint;
    await expect(client.machines.trust('m1', 'MD5:00:11', 'H')).rejects.toMatchObject({ code: 'RDC_INVALID_INPUT' });
    await expect(client.machines.trust('nope', current, 'H')).rejects.toMatchObject({ code: 'RDC_MACHINE_UNKNOWN' });
    expect((await client.machines.get('m1', 'H')).hostKeyFingerprint).toBe(current);
  });
});
