// The bridge's two transition scripts (queue task-transitions.ts): the claim takes a machine slot and records
// ASSIGNED in one round trip, the end of a try releases the slot, checks the lock and records a failed result in
// one; both stay fenced by the claim's lock token, like the separate writes they replace.
import { registryKeys, teamPrefix } from '@rediacc/core';
import {
  acquireMachineSlot,
  appendOutput,
  type ClaimedTask,
  claimTask,
  endTry,
  fenceOf,
  LockLostError,
  machineSlotHolders,
  requestCancel,
} from '@rediacc/queue';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { aclFleet } from '../harness/acl-fleet.js';
import { useHarness } from '../harness/index.js';

const h = useHarness();
const SLOT = { limit: 1, leaseMs: 60_000 };

async function claimed(team: string, as?: Redis): Promise<{ redis: Redis; task: ClaimedTask; jobKey: string }> {
  const redis = as ?? new Redis((await h.redis()).url, { maxRetriesPerRequest: null });
  if (!as) h.own(async () => redis.disconnect());
  const queue = new Queue('tasks', { connection: redis, prefix: teamPrefix(team) });
  await queue.add('t', { n: 1 }, { jobId: 'task-1' });
  // A worker that never runs by itself: the test claims the job by hand, with a token of its own.
  const worker = new Worker('tasks', null, { connection: redis, prefix: teamPrefix(team), autorun: false });
  h.own(async () => {
    await worker.close();
    await queue.close();
  });
  const job = await worker.getNextJob('token-a');
  if (!job) throw new Error('no job claimed');
  const task = { job, fence: fenceOf(job, 'token-a'), team, machine: 'm' };
  return { redis, task, jobKey: `${teamPrefix(team)}:tasks:task-1` };
}

const progressOf = async (redis: Redis, jobKey: string) => JSON.parse((await redis.hget(jobKey, 'progress')) ?? 'null');

describe('the claim and the end of a try, one round trip each', () => {
  it('the claim takes the slot and records ASSIGNED; the end releases it and records the failed result', async () => {
    const { redis, task, jobKey } = await claimed('tt-a');
    const reply = await claimTask(redis, task, SLOT, { phase: 'ASSIGNED', bridge: 'a' }, false);
    expect(reply).toEqual({ slot: true, cancelRequested: false, outputEnd: 0, lockTtlMs: expect.any(Number) });
    // The claim's lease: what the lock had left (BullMQ's default lock is 30 s).
    expect(reply.slot && reply.lockTtlMs).toBeGreaterThan(20_000);
    expect(reply.slot && reply.lockTtlMs).toBeLessThanOrEqual(30_000);
    expect(await machineSlotHolders(redis, 'tt-a', 'm')).toEqual(['task-1']);
    expect(await progressOf(redis, jobKey)).toEqual({ phase: 'ASSIGNED', bridge: 'a' });
    await endTry(redis, task, true, { phase: 'PROCESSING', bridge: 'a', result: 'failed' }, 'the result');
    expect(await machineSlotHolders(redis, 'tt-a', 'm')).toEqual([]);
    expect(await progressOf(redis, jobKey)).toEqual({ phase: 'PROCESSING', bridge: 'a', result: 'failed' });
  });

  it('a task claimed before reads its cancel flag and where its live output stopped, in the same step', async () => {
    const { redis, task } = await claimed('tt-b');
    await appendOutput(redis, 'tt-b', 'task-1', 0, Buffer.from('hello\n'));
    await appendOutput(redis, 'tt-b', 'task-1', 6, Buffer.from('***\n'), 6 + 'secret\n'.length);
    await requestCancel(redis, 'tt-b', 'task-1');
    expect(await claimTask(redis, task, undefined, { phase: 'ASSIGNED', bridge: 'a' }, true)).toEqual({
      slot: true,
      cancelRequested: true,
      outputEnd: 13,
      lockTtlMs: expect.any(Number),
    });
  });

  it('no free slot: nothing recorded, and the try is uncounted', async () => {
    const { redis, task, jobKey } = await claimed('tt-c');
    expect(await acquireMachineSlot(redis, { team: 'tt-c', machine: 'm', holder: 'other' }, 1, 60_000)).toBe(true);
    const tries = Number(await redis.hget(jobKey, 'ats'));
    expect(await claimTask(redis, task, SLOT, { phase: 'ASSIGNED', bridge: 'a' }, false)).toEqual({ slot: false });
    expect(Number(await redis.hget(jobKey, 'ats'))).toBe(tries - 1);
    expect(await redis.hget(jobKey, 'progress')).toBeNull();
    expect(await machineSlotHolders(redis, 'tt-c', 'm')).toEqual(['other']);
  });

  it('a bridge that lost the lock claims nothing, records nothing, and releases only its own slot', async () => {
    const { redis, task, jobKey } = await claimed('tt-d');
    expect((await claimTask(redis, task, SLOT, { phase: 'ASSIGNED', bridge: 'a' }, false)).slot).toBe(true);
    // Another bridge took the task over after a stall: the lock holds its token, the slot its member.
    await redis.set(task.fence.lockKey, 'token-b');
    const b = { ...task, fence: fenceOf(task.job, 'token-b') };
    expect((await claimTask(redis, b, SLOT, { phase: 'ASSIGNED', bridge: 'b' }, true)).slot).toBe(true);
    await expect(claimTask(redis, task, SLOT, { phase: 'ASSIGNED', bridge: 'a' }, true)).rejects.toBeInstanceOf(
      LockLostError,
    );
    await expect(endTry(redis, task, true, { phase: 'PROCESSING', bridge: 'a' }, 'the result')).rejects.toBeInstanceOf(
      LockLostError,
    );
    expect(await progressOf(redis, jobKey)).toEqual({ phase: 'ASSIGNED', bridge: 'b' });
    expect(await redis.zrange(registryKeys.machineSlots('tt-d', 'm'), 0, -1)).toEqual(['task-1:token-b']);
  });

  it("a bridge's Redis user (ACL: cancel flags read-only) claims, reads its re-claim state and ends its try", async () => {
    const fleet = await aclFleet(h, ['tt-acl']);
    const { redis, task, jobKey } = await claimed('tt-acl', fleet.connectionAs('tt-acl', 'bridge'));
    await fleet.admin.redis.set(registryKeys.cancelRequest('tt-acl', 'task-1'), '1');
    expect(await claimTask(redis, task, SLOT, { phase: 'ASSIGNED', bridge: 'a' }, true)).toEqual({
      slot: true,
      cancelRequested: true,
      outputEnd: 0,
      lockTtlMs: expect.any(Number),
    });
    await endTry(redis, task, true, { phase: 'PROCESSING', bridge: 'a', result: 'cancelled' }, 'the result');
    expect(await progressOf(fleet.raw, jobKey)).toEqual({ phase: 'PROCESSING', bridge: 'a', result: 'cancelled' });
  });
});
