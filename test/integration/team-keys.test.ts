// A bridge loads the vault keys of its teams at start, uses them, and refuses to start without the right one.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBridge } from '@rediacc/bridge';
import { createLogger, generateTeamKeyPair } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../harness/index.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const h = useHarness();
let redisUrl: string;
let client: RediaccClient;
let keysDir: string;
let secretKey: string;

beforeAll(async () => {
  redisUrl = (await h.redis()).url;
  client = createClient({ redis: redisUrl });
  keysDir = await h.tempDir('keys');
  ({ secretKey } = await client.teams.create('Keyed'));
  await client.teams.create('Other');
});

afterAll(async () => {
  await client?.close();
});

describe('bridge team keys', () => {
  it("starts with the team key from the keys directory and uses it: a task on the team's machine runs", async () => {
    await writeFile(join(keysDir, 'Keyed.key'), `${secretKey}\n`, { mode: 0o600 });
    // The machine's SSH key is stored encrypted to the team: only a bridge holding the team key can connect.
    const machine = await h.machine();
    await client.machines.add({
      name: 'k1',
      team: 'Keyed',
      host: machine.host,
      port: machine.port,
      user: machine.user,
      keyFile: machine.privateKeyPath,
      hostKeyFingerprint: machine.hostKeyFingerprint,
    });
    const bridge = await startBridge({ redisUrl, teams: ['Keyed'], keysDir }, { logger });
    try {
      const { taskId } = await client.tasks.create({ team: 'Keyed', machine: 'k1', command: 'echo keyed' });
      const done = await client.tasks.wait(taskId, { timeoutMs: 20_000 });
      expect(done, done.error ?? '').toMatchObject({ status: 'COMPLETED', output: 'keyed\n' });
    } finally {
      await bridge.close();
    }
  });

  it('fails at start when the key file is missing, naming the team and the path', async () => {
    await expect(startBridge({ redisUrl, teams: ['Other'], keysDir }, { logger })).rejects.toMatchObject({
      code: 'RDC_TEAM_KEY',
      message: expect.stringContaining(join(keysDir, 'Other.key')),
    });
  });

  it("fails at start when the key is another team's: its public half does not match the registry", async () => {
    const wrong = generateTeamKeyPair().secretKey;
    await expect(
      startBridge({ redisUrl, teams: ['Keyed'], teamKeys: { Keyed: wrong } }, { logger }),
    ).rejects.toMatchObject({
      code: 'RDC_TEAM_KEY',
      message: expect.stringContaining('does not match'),
    });
    await writeFile(join(keysDir, 'Other.key'), 'not-a-key\n');
    await expect(startBridge({ redisUrl, teams: ['Other'], keysDir }, { logger })).rejects.toMatchObject({
      code: 'RDC_TEAM_KEY',
      message: expect.stringContaining('is not a team vault key'),
    });
  });

  it('fails at start when no key source is given at all', async () => {
    await expect(startBridge({ redisUrl, teams: ['Keyed'] }, { logger })).rejects.toMatchObject({
      code: 'RDC_TEAM_KEY',
    });
  });
});
