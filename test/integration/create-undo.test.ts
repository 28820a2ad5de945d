// createMany is all-or-nothing although its writes go out together (task-add.ts): when the add of one lane fails,
// the other lane's tasks are removed again with every machine-index entry written beside them, and the audit
// entries written ahead ("created") are followed by "failed" ones.

import type { RediaccClient } from '@rediacc/producer';
import { machineIndexKey, readAudit, type TeamQueues, tasksOfMachine } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { startProducerTeam, useHarness } from '../harness/index.js';

const h = useHarness();
const team = `cundo-${process.pid}`;
let client: RediaccClient;
let raw: Redis;
let queues: TeamQueues;

beforeAll(async () => {
  ({ client, raw, queues } = await startProducerTeam(h, team));
});

describe('createMany when one lane refuses its add', () => {
  it('leaves no task and no index entry in any lane, and audits the creates as failed', async () => {
    const normal = queues.forPriority(team, 4);
    const critical = queues.forPriority(team, 1);
    // BullMQ's add script keeps prioritized jobs in a zset: a string there makes every add of that lane fail.
    await raw.set(normal.toKey('prioritized'), 'not a zset');
    const before = (await readAudit(raw, team)).entries.length;
    const specs = [1, 4, 2, 5].map((priority) => ({ team, machine: 'm1', command: 'true', priority }));
    await expect(client.tasks.createMany(specs)).rejects.toThrow(/WRONGTYPE/);
    await raw.del(normal.toKey('prioritized'));

    for (const queue of [critical, normal]) {
      expect(await queue.getJobCounts()).toMatchObject({ prioritized: 0, waiting: 0 });
      expect(await raw.zcard(machineIndexKey(queue, 'm1'))).toBe(0);
    }
    const entries = (await readAudit(raw, team)).entries.slice(before);
    const outcomes = new Map<string, string[]>();
    for (const e of entries.filter((e) => e.action === 'task.create')) {
      outcomes.set(e.target, [...(outcomes.get(e.target) ?? []), e.outcome]);
    }
    expect([...outcomes.values()]).toEqual([
      ['ok', 'failed'],
      ['ok', 'failed'],
      ['ok', 'failed'],
      ['ok', 'failed'],
    ]);
  });
});

describe('a machine index entry whose job is missing', () => {
  it('stays while it is young (its add may still be on its way), and is dropped once old', async () => {
    const key = machineIndexKey(queues.forPriority(team, 3), 'm1');
    await raw.zadd(key, Date.now(), 'late-add', Date.now() - 120_000, 'long-gone');
    expect(await tasksOfMachine(raw, queues, team, 'm1', { limit: 10 })).not.toContainEqual(
      expect.objectContaining({ taskId: 'late-add' }),
    );
    expect(await raw.zscore(key, 'late-add')).not.toBeNull();
    expect(await raw.zscore(key, 'long-gone')).toBeNull();
  });
});
