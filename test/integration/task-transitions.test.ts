// The bridge's two transition scripts (queue task-transitions.ts): the claim takes a machine slot and records
// ASSIGNED in one round trip, the end of a try releases the slot, checks the lock and records a failed result in
// one; both stay fenced by the claim's lock token, like the separate writes they replace.
import { registryKeys, teamPrefix } from '@rediacc/core';
import {
  acquireMachineSlot,
  appendOutput,
  type BatchStop,
  batchSemaphore,
  type ClaimedTask,
  type ClaimSlots,
  claimTask,
  endTry,
  fenceOf,
  LockLostError,
  machineSemaphore,
  machineSlotHolders,
  parkTask,
  renewSlots,
  requestCancel,
  type SlotSemaphore,
  slotWaiters,
  waiterScoreOf,
} from '@rediacc/queue';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { aclFleet } from '../harness/acl-fleet.js';
import { claimByHand, useHarness } from '../harness/index.js';

const h = useHarness();
const slotOf = (team: string) => machineSemaphore(team, 'm', 1);
const slotsOf = (team: string) => ({ semaphores: [slotOf(team)], leaseMs: 60_000, score: 0 });

/** Bridge a's progress record of its claim. */
const ASSIGNED = { phase: 'ASSIGNED', bridge: 'a' };

/**
 * The task `task-1` of `team` claimed by hand (on a new connection unless `as`), with its claim and the end of its
 * try as the bridge makes them: `claim` records `progress` (bridge a's ASSIGNED) while taking `slots`, `end` frees
 * `held` and records `progress`.
 */
async function claimed(team: string, as?: Redis) {
  const redis = as ?? new Redis((await h.redis()).url, { maxRetriesPerRequest: null });
  if (!as) h.own(async () => redis.disconnect());
  const job = await claimByHand(h, redis, team);
  const task: ClaimedTask = { job, fence: fenceOf(job, 'token-a'), team, machine: 'm' };
  return {
    redis,
    task,
    jobKey: `${teamPrefix(team)}:tasks:task-1`,
    claim: (slots: ClaimSlots | undefined, claimedBefore = false, progress: object = ASSIGNED) =>
      claimTask(redis, task, slots, progress, claimedBefore),
    end: (held: readonly SlotSemaphore[], progress?: object, stop?: BatchStop) =>
      endTry(redis, task, held, progress, 'the result', stop),
  };
}

const progressOf = async (redis: Redis, jobKey: string) => JSON.parse((await redis.hget(jobKey, 'progress')) ?? 'null');

describe('the claim and the end of a try, one round trip each', () => {
  it('the claim takes the slot and records ASSIGNED; the end releases it and records the failed result', async () => {
    const { redis, task, jobKey, claim, end } = await claimed('tt-a');
    const reply = await claim(slotsOf(task.team));
    expect(reply).toEqual({ slot: true, cancelRequested: false, outputEnd: 0, lockTtlMs: expect.any(Number) });
    // The claim's lease: what the lock had left (BullMQ's default lock is 30 s).
    expect(reply.slot && reply.lockTtlMs).toBeGreaterThan(20_000);
    expect(reply.slot && reply.lockTtlMs).toBeLessThanOrEqual(30_000);
    expect(await machineSlotHolders(redis, 'tt-a', 'm')).toEqual(['task-1']);
    expect(await progressOf(redis, jobKey)).toEqual({ phase: 'ASSIGNED', bridge: 'a' });
    await end([slotOf(task.team)], { phase: 'PROCESSING', bridge: 'a', result: 'failed' });
    expect(await machineSlotHolders(redis, 'tt-a', 'm')).toEqual([]);
    expect(await progressOf(redis, jobKey)).toEqual({ phase: 'PROCESSING', bridge: 'a', result: 'failed' });
  });

  it("reads Redis's clock only when it takes or frees a slot: a claim without one runs no TIME", async () => {
    const { redis, task, jobKey, claim } = await claimed('tt-clock');
    const timeCalls = async () => Number(/cmdstat_time:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    const before = await timeCalls();
    const reply = await claim(undefined);
    expect(reply).toMatchObject({ slot: true });
    expect(await progressOf(redis, jobKey)).toEqual({ phase: 'ASSIGNED', bridge: 'a' });
    expect(await timeCalls()).toBe(before);
    // With a slot to take, its lease counts from Redis's clock, read once for the whole script.
    await claim(slotsOf(task.team));
    expect(await timeCalls()).toBe(before + 1);
    expect(await machineSlotHolders(redis, 'tt-clock', 'm')).toEqual(['task-1']);
  });

  it('a task claimed before reads its cancel flag and where its live output stopped, in the same step', async () => {
    const { redis, claim } = await claimed('tt-b');
    await appendOutput(redis, 'tt-b', 'task-1', 0, Buffer.from('hello\n'));
    await appendOutput(redis, 'tt-b', 'task-1', 6, Buffer.from('***\n'), 6 + 'secret\n'.length);
    await requestCancel(redis, 'tt-b', 'task-1');
    expect(await claim(undefined, true)).toEqual({
      slot: true,
      cancelRequested: true,
      outputEnd: 13,
      lockTtlMs: expect.any(Number),
    });
  });

  it('no free slot: nothing recorded, and the try is uncounted', async () => {
    const { redis, task, jobKey, claim } = await claimed('tt-c');
    expect(await acquireMachineSlot(redis, { team: 'tt-c', machine: 'm', holder: 'other' }, 1, 60_000)).toBe(true);
    const tries = Number(await redis.hget(jobKey, 'ats'));
    expect(await claim(slotsOf(task.team))).toEqual({
      slot: false,
      full: slotOf('tt-c'),
      ahead: 0,
    });
    expect(Number(await redis.hget(jobKey, 'ats'))).toBe(tries - 1);
    expect(await redis.hget(jobKey, 'progress')).toBeNull();
    expect(await machineSlotHolders(redis, 'tt-c', 'm')).toEqual(['other']);
  });

  it('a bridge that lost the lock claims nothing, records nothing, and releases only its own slot', async () => {
    const { redis, task, jobKey, claim, end } = await claimed('tt-d');
    expect((await claim(slotsOf(task.team))).slot).toBe(true);
    // Another bridge took the task over after a stall: the lock holds its token, the slot its member.
    await redis.set(task.fence.lockKey, 'token-b');
    const b = { ...task, fence: fenceOf(task.job, 'token-b') };
    expect((await claimTask(redis, b, slotsOf(task.team), { phase: 'ASSIGNED', bridge: 'b' }, true)).slot).toBe(true);
    await expect(claim(slotsOf(task.team), true)).rejects.toBeInstanceOf(LockLostError);
    await expect(end([slotOf(task.team)], { phase: 'PROCESSING', bridge: 'a' })).rejects.toBeInstanceOf(LockLostError);
    expect(await progressOf(redis, jobKey)).toEqual({ phase: 'ASSIGNED', bridge: 'b' });
    expect(await redis.zrange(registryKeys.machineSlots('tt-d', 'm'), 0, -1)).toEqual(['task-1:token-b']);
  });

  it("a bridge's Redis user (ACL: cancel flags read-only) claims, reads its re-claim state and ends its try", async () => {
    const fleet = await aclFleet(h, ['tt-acl']);
    const { task, jobKey, claim, end } = await claimed('tt-acl', fleet.connectionAs('tt-acl', 'bridge'));
    await fleet.admin.redis.set(registryKeys.cancelRequest('tt-acl', 'task-1'), '1');
    expect(await claim(slotsOf(task.team), true)).toEqual({
      slot: true,
      cancelRequested: true,
      outputEnd: 0,
      lockTtlMs: expect.any(Number),
    });
    await end([slotOf(task.team)], { phase: 'PROCESSING', bridge: 'a', result: 'cancelled' });
    expect(await progressOf(fleet.raw, jobKey)).toEqual({ phase: 'PROCESSING', bridge: 'a', result: 'cancelled' });
  });
});

describe('tasks parked for a slot', () => {
  /** Delayed jobs of the team's `tasks` queue (as parked tasks are), and their delayed scores by id. */
  async function parked(team: string, redis: Redis, ids: string[]) {
    const queue = new Queue('tasks', { connection: redis, prefix: teamPrefix(team) });
    h.own(() => queue.close());
    for (const id of ids) await queue.add('t', { n: 1 }, { jobId: id, delay: 600_000 });
    const dueOf = async (id: string) => Number(await redis.zscore(`${teamPrefix(team)}:tasks:delayed`, id)) / 0x1000;
    return { dueOf };
  }
  const ref = (team: string, id: string, score: number) => ({
    team,
    ...slotOf(team),
    member: `tasks:${id}`,
    score,
    ttlMs: 60_000,
  });

  it("the end of the holder's try wakes the first waiter (by priority, then age), skipping one gone meanwhile", async () => {
    const { redis, task, claim, end } = await claimed('tt-w');
    expect((await claim(slotsOf(task.team))).slot).toBe(true);
    const { dueOf } = await parked('tt-w', redis, ['late', 'urgent', 'older']);
    expect(await parkTask(redis, ref('tt-w', 'late', waiterScoreOf(3, 2_000)))).toBe(true);
    expect(await parkTask(redis, ref('tt-w', 'urgent', waiterScoreOf(1, 3_000)))).toBe(true);
    expect(await parkTask(redis, ref('tt-w', 'older', waiterScoreOf(3, 1_000)))).toBe(true);
    // Cancelled while parked: no longer delayed, so a wake passes it by.
    await redis.zrem(`${teamPrefix('tt-w')}:tasks:delayed`, 'urgent');
    expect(await slotWaiters(redis, slotOf('tt-w').waitersKey)).toEqual(['urgent', 'older', 'late']);
    const before = Date.now() + 300_000;
    expect(await dueOf('older')).toBeGreaterThan(before);

    await end([slotOf(task.team)]);
    expect(await dueOf('older')).toBeLessThan(before);
    expect(await dueOf('late')).toBeGreaterThan(before);
    expect(await slotWaiters(redis, slotOf('tt-w').waitersKey)).toEqual(['late']);
    // The queue's marker tells a blocked worker that a delayed job is due.
    expect(await redis.zrange(`${teamPrefix('tt-w')}:tasks:marker`, 0, -1)).toContain('1');
  });

  it('a task parked while a slot is free (freed between its claim and its park) is woken at once', async () => {
    const redis = new Redis((await h.redis()).url, { maxRetriesPerRequest: null });
    h.own(async () => redis.disconnect());
    const { dueOf } = await parked('tt-p', redis, ['p1']);
    expect(await parkTask(redis, ref('tt-p', 'p1', waiterScoreOf(3, 1_000)))).toBe(true);
    expect(await dueOf('p1')).toBeLessThan(Date.now() + 300_000);
    expect(await slotWaiters(redis, slotOf('tt-p').waitersKey)).toEqual([]);
    // Not delayed (woken, claimed or cancelled meanwhile): nothing is recorded.
    expect(await parkTask(redis, ref('tt-p', 'gone', waiterScoreOf(3, 1_000)))).toBe(false);
    expect(await slotWaiters(redis, slotOf('tt-p').waitersKey)).toEqual([]);
  });
});

describe("a fan-out batch's slot and stop flag, in the same claim and end of a try", () => {
  const batchOf = (team: string) => batchSemaphore(team, 'b1', 1);
  const both = (team: string) => ({
    semaphores: [slotOf(team), batchOf(team)],
    leaseMs: 60_000,
    score: 0,
    stopFlag: registryKeys.batchStop(team, 'b1'),
  });

  it("takes the machine's and the batch's slots or neither, renews both at once, and frees both", async () => {
    const { redis, task, claim, end } = await claimed('tt-b1');
    const other = { team: 'tt-b1', machine: 'm', holder: 'other', slotsKey: batchOf('tt-b1').slotsKey };
    expect(await acquireMachineSlot(redis, other, 1, 60_000)).toBe(true);
    expect(await claim(both(task.team))).toEqual({
      slot: false,
      full: batchOf('tt-b1'),
      ahead: 0,
    });
    // The machine's free slot was not taken either.
    expect(await machineSlotHolders(redis, 'tt-b1', 'm')).toEqual([]);
    await redis.del(batchOf('tt-b1').slotsKey);
    expect((await claim(both(task.team))).slot).toBe(true);
    expect(await redis.zrange(batchOf('tt-b1').slotsKey, 0, -1)).toEqual([`task-1:${task.fence.token}`]);
    const slotsKeys = [slotOf('tt-b1').slotsKey, batchOf('tt-b1').slotsKey];
    expect(await renewSlots(redis, 'task-1', task.fence, slotsKeys, 60_000)).toBe(true);
    await redis.zrem(batchOf('tt-b1').slotsKey, `task-1:${task.fence.token}`);
    // One had gone: said so, and taken again.
    expect(await renewSlots(redis, 'task-1', task.fence, slotsKeys, 60_000)).toBe(false);
    await expect(renewSlots(redis, 'task-1', fenceOf(task.job, 'token-x'), slotsKeys, 60_000)).rejects.toBeInstanceOf(
      LockLostError,
    );
    await end([slotOf(task.team), batchOf(task.team)]);
    expect(await machineSlotHolders(redis, 'tt-b1', 'm')).toEqual([]);
    expect(await redis.zcard(batchOf('tt-b1').slotsKey)).toBe(0);
  });

  it('the failure for good stops the batch in the step that frees its slot; a later claim is refused', async () => {
    const { redis, task, claim, end } = await claimed('tt-b2');
    expect((await claim(both(task.team))).slot).toBe(true);
    const stop = { flag: registryKeys.batchStop('tt-b2', 'b1'), ttlSeconds: 60 };
    await end([slotOf(task.team), batchOf(task.team)], undefined, stop);
    expect(await redis.get(stop.flag)).toBe('task-1');
    expect(await redis.zcard(batchOf('tt-b2').slotsKey)).toBe(0);
    // The task that stopped the batch may claim again; any other is refused, with nothing taken or recorded.
    const other = { ...task, job: { ...task.job, id: 'task-2' } };
    await redis.set(fenceOf(other.job, 'token-a').lockKey, 'token-a');
    await redis.hset(`${teamPrefix('tt-b2')}:tasks:task-2`, 'ats', '1');
    expect(await claimTask(redis, other, both(task.team), { phase: 'ASSIGNED', bridge: 'a' }, false)).toEqual({
      slot: false,
      stoppedBy: 'task-1',
    });
    expect(await redis.zcard(batchOf('tt-b2').slotsKey)).toBe(0);
    expect(await redis.hget(`${teamPrefix('tt-b2')}:tasks:task-2`, 'progress')).toBeNull();
    expect((await claim(both(task.team), true)).slot).toBe(true);
  });

  it('a bridge that lost the lock does not stop the batch, and frees only its own slots', async () => {
    const { redis, task, claim, end } = await claimed('tt-b3');
    expect((await claim(both(task.team))).slot).toBe(true);
    await redis.set(task.fence.lockKey, 'token-b');
    const stop = { flag: registryKeys.batchStop('tt-b3', 'b1'), ttlSeconds: 60 };
    await expect(end([slotOf(task.team), batchOf(task.team)], undefined, stop)).rejects.toBeInstanceOf(LockLostError);
    expect(await redis.get(stop.flag)).toBeNull();
    expect(await redis.zcard(batchOf('tt-b3').slotsKey)).toBe(0);
  });
});
