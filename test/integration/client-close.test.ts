// client.close() releases every Redis connection the SDK opened, including the ones tasks.wait opens for its
// event stream, so a program that waited on a task exits once it closes its client.
import { startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { createClient } from '@rediacc/producer';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { addTeamWithMachine, useHarness, waitFor } from '../harness/index.js';

const h = useHarness();

function connectedClients(admin: Redis): Promise<number> {
  return admin.info('clients').then((info) => Number(/connected_clients:(\d+)/.exec(info)?.[1]));
}

describe('client.close', () => {
  it('leaves no connection open after tasks.wait', async () => {
    const redis = await h.redis();
    const machine = await h.machine();
    const admin = new Redis(redis.url);
    h.own(async () => {
      await admin.quit();
    });
    const setup = createClient({ redis: redis.url });
    const teamKeys = await addTeamWithMachine(setup, 'close', machine);
    await setup.close();
    const worker = await startBridge(
      { redisUrl: redis.url, teams: ['close'], teamKeys },
      { logger: createLogger({ name: 'test', level: 'silent' }) },
    );
    h.own(() => worker.close({ graceMs: 0 }));
    const before = await connectedClients(admin);

    const client = createClient({ redis: redis.url });
    const { taskId } = await client.tasks.create({ team: 'close', machine: 'm1', command: 'true' });
    expect(await client.tasks.wait(taskId, { timeoutMs: 20_000 })).toMatchObject({ status: 'COMPLETED' });
    expect(await connectedClients(admin)).toBeGreaterThan(before);
    await client.close();

    await waitFor('the client connections to close', async () =>
      (await connectedClients(admin)) === before ? true : undefined,
    );
  });
});
