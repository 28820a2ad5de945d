// Cancelling PENDING tasks: they become CANCELLED, keep a record, and never run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startBridge } from '@rediacc/bridge';
import { createLogger, FINISHED_TASK_RETENTION } from '@rediacc/core';
import { createClient } from '@rediacc/producer';
import { countTombstones, trimTombstones } from '@rediacc/queue';
import { describe, expect, it } from 'vitest';
import { addTeamWithMachine, useHarness } from '../harness/index.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const h = useHarness();
const teamKeys: Record<string, string> = {};

describe('cancel', () => {
  it('cancels a PENDING task so it never runs, and reports finished and unknown ids', async () => {
    const redis = await h.redis();
    const machine = await h.machine();
    const dir = await h.tempDir('cancel-');
    const client = createClient({ redis: redis.url });
    Object.assign(teamKeys, await addTeamWithMachine(client, 'c', machine));
    const cancelledFile = join(dir, 'cancelled-ran');
    const keep = await client.tasks.create({ team: 'c', machine: 'm1', command: 'echo kept', priority: 5 });
    const drop = await client.tasks.create({
      team: 'c',
      machine: 'm1',
      command: `touch ${cancelledFile}`,
      priority: 1,
    });

    const [result] = await client.tasks.cancel([drop.taskId]);
    expect(result).toEqual({ taskId: drop.taskId, outcome: 'cancelled', status: 'CANCELLED' });
    const view = await client.tasks.inspect(drop.taskId);
    expect(view).toMatchObject({ status: 'CANCELLED', errorCode: 'RDC_CANCELLED', command: `touch ${cancelledFile}` });
    expect(view.completedAt).not.toBeNull();
    expect((await client.tasks.wait(drop.taskId, { timeoutMs: 5_000 })).status).toBe('CANCELLED');
    expect((await client.tasks.list({ status: 'CANCELLED' })).map((t) => t.taskId)).toEqual([drop.taskId]);
    expect(await client.tasks.counts('c')).toMatchObject({ pending: 1, cancelled: 1 });

    const bridge = await startBridge({ teamKeys, redisUrl: redis.url, teams: ['c'], batchSize: 2 }, { logger });
    try {
      expect((await client.tasks.wait(keep.taskId, { timeoutMs: 20_000 })).status).toBe('COMPLETED');
    } finally {
      await bridge.close();
    }
    expect(existsSync(cancelledFile)).toBe(false);

    const again = await client.tasks.cancel([keep.taskId, drop.taskId, '00000000-0000-4000-8000-000000000000']);
    expect(again.map((r) => r.outcome)).toEqual(['finished', 'finished', 'unknown']);
    expect((await client.tasks.inspect(drop.taskId)).status).toBe('CANCELLED');

    // Tombstones are kept as long as finished jobs, then dropped like them.
    expect(await trimTombstones(client.redis, 'c', Date.now())).toBe(0);
    expect(await countTombstones(client.redis, 'c')).toBe(1);
    const later = Date.now() + (FINISHED_TASK_RETENTION.age + 60) * 1000;
    expect(await trimTombstones(client.redis, 'c', later)).toBe(1);
    expect(await countTombstones(client.redis, 'c')).toBe(0);
    await expect(client.tasks.inspect(drop.taskId)).rejects.toMatchObject({ code: 'RDC_TASK_UNKNOWN' });
    await client.close();
  });
});
