// A create's Redis round trips as the caller waits for them (countWaves: what goes out before any answer is one):
// a plain create sends its add, its machine-index entry and its audit entry together, and createMany its adds of
// every lane with one pipeline of index and audit entries. Each test also checks those writes landed.

import { registryKeys } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { machineIndexKey, readAudit, type TeamQueues } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProducerTeam, useHarness } from '../harness/index.js';
import { countWaves, type WaveCounter } from '../harness/round-trips.js';

const h = useHarness();
const team = `ctrips-${process.pid}`;
let client: RediaccClient;
let raw: Redis;
let queues: TeamQueues;
let counter: WaveCounter;

beforeAll(async () => {
  ({ client, raw, queues } = await startProducerTeam(h, team));
  // Warm: the Redis user (ACL WHOAMI), the registry cache, the add scripts loaded on Redis.
  await client.tasks.create({ team, machine: 'm1', command: 'true', priority: 1 });
  await client.tasks.createMany([{ team, machine: 'm1', command: 'true', priority: 4 }]);
  counter = countWaves(client.redis);
});

afterAll(() => {
  counter?.stop();
});

/**
 * The waves of the last call, its registry lookups aside: the registry cache lives 5 s, which a loaded box may let
 * lapse between the warm-up and the call (a lookup then costs a round trip of its own before the add).
 */
function wavesOfCall(): string[][] {
  const waves = counter.waves.filter((wave) => !wave.every((label) => /^registry /.test(label)));
  console.log(waves.map((wave, i) => `  wave ${i + 1}: ${wave.join(', ')}`).join('\n'));
  return waves;
}

/** The task's machine-index score and its job's creation time, and its create entries in the audit log. */
async function writesOf(taskId: string, priority: number) {
  const queue = queues.forPriority(team, priority);
  const [score, job, audit] = await Promise.all([
    raw.zscore(machineIndexKey(queue, 'm1'), taskId),
    queue.getJob(taskId),
    readAudit(raw, team),
  ]);
  const entries = audit.entries.filter((e) => e.target === taskId && e.action === 'task.create');
  return { score: Number(score), timestamp: job?.timestamp, outcomes: entries.map((e) => e.outcome) };
}

describe("a create's round trips", () => {
  it('a plain create is one round trip: its add, index entry and audit entry go out together', async () => {
    for (const priority of [2, 4]) {
      counter.reset();
      const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'true', priority });
      expect(wavesOfCall()).toHaveLength(1);
      const writes = await writesOf(taskId, priority);
      expect(writes).toEqual({ score: writes.timestamp, timestamp: expect.any(Number), outcomes: ['ok'] });
    }
  });

  it("a create one at a time leaves out the writers set's SADD once it went through lately", async () => {
    // The warm-up's creates added this writer to the set; the next creates send the add, ZADD and XADD only.
    counter.reset();
    const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'true', priority: 4 });
    const [wave] = wavesOfCall();
    expect(wave?.filter((label) => / sadd$/.test(label))).toEqual([]);
    expect(wave?.filter((label) => / (zadd|xadd)$/.test(label))).toHaveLength(2);
    expect((await writesOf(taskId, 4)).outcomes).toEqual(['ok']);
    expect(await raw.smembers(registryKeys.auditWriters(team))).toEqual(['default']);
  });

  it('createMany over two lanes is one round trip', async () => {
    counter.reset();
    const specs = [1, 2, 3, 4, 5].map((priority) => ({ team, machine: 'm1', command: 'true', priority }));
    const created = await client.tasks.createMany(specs);
    expect(wavesOfCall()).toHaveLength(1);
    for (const task of created) {
      const writes = await writesOf(task.taskId, task.priority);
      expect(writes).toEqual({ score: writes.timestamp, timestamp: expect.any(Number), outcomes: ['ok'] });
    }
  });
});
