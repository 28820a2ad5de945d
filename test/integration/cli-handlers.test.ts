// The CLI's command handlers called as plain functions, without spawning: parsed options and a real client in,
// a CommandResult out (what to print, the exit code, the error). No process exit code is set by any of them.
import { join } from 'node:path';
import { loadConfig, type RdcConfig } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cancelQueue } from '../../packages/cli/src/commands/cancel.js';
import { tokenCreate, tokenRevoke } from '../../packages/cli/src/commands/dashboard-token.js';
import { createTask, inspectQueue, listQueue } from '../../packages/cli/src/commands/task.js';
import { teamCreate, teamList } from '../../packages/cli/src/commands/team.js';
import { vaultList } from '../../packages/cli/src/commands/vault.js';
import { jsonOf } from '../../packages/cli/src/result.js';
import { type TestMachine, useHarness } from '../harness/index.js';

const h = useHarness();
let client: RediaccClient;
let config: RdcConfig;
let machine: TestMachine;
const UNKNOWN_TASK = '99999999-9999-4999-8999-999999999999';

beforeAll(async () => {
  const redisUrl = (await h.redis()).url;
  config = loadConfig({ REDIS_URL: redisUrl, RDC_HOME: await h.tempDir('rdc-home-') });
  client = createClient({ redis: redisUrl });
  machine = await h.machine();
});

afterAll(async () => {
  await client?.close();
});

afterEach(() => {
  // Only bin.ts sets the process's exit code: a handler that did would leave it here.
  expect(process.exitCode).toBeUndefined();
});

describe('CLI handlers as plain functions', () => {
  it('team create returns the record and the key file it wrote; a second create is RDC_TEAM_EXISTS', async () => {
    const created = await teamCreate({ name: 'Hand', json: true }, client, config);
    expect(created.exitCode).toBe(0);
    expect(jsonOf(created)).toMatchObject({ name: 'Hand', keyFile: join(config.home, 'keys', 'Hand.key') });
    await expect(teamCreate({ name: 'Hand' }, client, config)).rejects.toMatchObject({ code: 'RDC_TEAM_EXISTS' });
    const listed = await teamList({}, client, config);
    expect(listed.printed).toEqual([
      { to: 'stdout', table: [expect.objectContaining({ name: 'Hand' })], columns: ['name', 'createdAt'] },
    ]);
    expect((await vaultList({ team: 'Hand', json: true }, client, config)).printed).toEqual([
      { to: 'stdout', json: [] },
    ]);
  });

  it('create task, list queue and inspect queue return the task; an unknown one is RDC_TASK_UNKNOWN', async () => {
    await client.machines.add({
      team: 'Hand',
      name: 'h1',
      host: machine.host,
      port: machine.port,
      user: machine.user,
      keyFile: machine.privateKeyPath,
      hostKeyFingerprint: machine.hostKeyFingerprint,
    });
    const created = await createTask({ machine: 'h1', command: 'true', priority: 4 }, client, config);
    const [printed] = created.printed;
    expect(printed).toEqual({ to: 'stdout', text: expect.stringMatching(/^[0-9a-f-]{36}\n$/) });
    const taskId = (printed as { text: string }).text.trim();
    const listed = await listQueue({ limit: 1, json: true }, client, config);
    expect(jsonOf(listed)).toMatchObject([{ taskId, priority: 4, team: 'Hand', status: 'PENDING' }]);
    // A full page says how to get the next one, on stderr.
    const table = await listQueue({ limit: 1 }, client, config);
    expect(table.printed.at(-1)).toEqual({
      to: 'stderr',
      note: `(more: rediacc list queue --before ${taskId} --limit 1)`,
    });
    expect(jsonOf(await inspectQueue({ taskId, json: true }, client, config))).toMatchObject({
      taskId,
      command: 'true',
    });
    await expect(inspectQueue({ taskId: UNKNOWN_TASK }, client, config)).rejects.toMatchObject({
      code: 'RDC_TASK_UNKNOWN',
    });
    await expect(createTask({ machine: 'nosuch', command: 'true', priority: 3 }, client, config)).rejects.toMatchObject(
      {
        code: 'RDC_MACHINE_UNKNOWN',
      },
    );
  });

  it('cancel queue: without --confirm a failure with the rows; a partial cancel exits 1; a full one 0', async () => {
    const { taskId } = await client.tasks.create({ team: 'Hand', machine: 'h1', command: 'sleep 60' });
    const dry = await cancelQueue({ taskIds: [taskId], json: true }, client, config);
    expect(dry.error).toMatchObject({ code: 'RDC_INVALID_INPUT', message: expect.stringContaining('add --confirm') });
    expect(dry.exitCode).toBe(2);
    expect(jsonOf(dry)).toEqual([{ taskId, status: 'PENDING', machine: 'h1', command: 'sleep 60' }]);
    expect((await client.tasks.inspect(taskId)).status).toBe('PENDING');

    const partial = await cancelQueue({ taskIds: [taskId, UNKNOWN_TASK], confirm: true, json: true }, client, config);
    expect(partial.exitCode).toBe(1);
    expect(jsonOf(partial)).toMatchObject([
      { taskId, outcome: 'cancelled' },
      { taskId: UNKNOWN_TASK, outcome: expect.not.stringMatching(/^cancelled$/) },
    ]);
    const { taskId: other } = await client.tasks.create({ team: 'Hand', machine: 'h1', command: 'sleep 60' });
    expect((await cancelQueue({ taskIds: [other], confirm: true }, client, config)).exitCode).toBe(0);
  });

  it('dashboard token create and revoke; revoking twice is RDC_TOKEN_UNKNOWN', async () => {
    const created = jsonOf(await tokenCreate({ role: 'viewer', json: true }, client, config)) as {
      id: string;
      token: string;
    };
    expect(created).toMatchObject({ role: 'viewer', team: null, token: expect.any(String) });
    expect(jsonOf(await tokenRevoke({ id: created.id, json: true }, client, config))).toMatchObject({ id: created.id });
    await expect(tokenRevoke({ id: created.id }, client, config)).rejects.toMatchObject({ code: 'RDC_TOKEN_UNKNOWN' });
  });
});
