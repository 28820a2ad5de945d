// The lock token as a fencing token: writes a bridge makes while it runs a task (progress, live output, machine
// slots) go through only while the task's lock holds the bridge's token; BullMQ's own finish refuses a stale one.
import { teamPrefix } from '@rediacc/core';
import {
  acquireMachineSlot,
  appendOutputFenced,
  fenceOf,
  holdsLock,
  LockLostError,
  machineSlotHolders,
  putBack,
  readOutputChunks,
  releaseMachineSlot,
  renewMachineSlot,
  writeProgress,
} from '@rediacc/queue';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { claimByHand, useHarness } from '../harness/index.js';

const h = useHarness();

async function claimed(url: string, team: string) {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  h.own(async () => redis.disconnect());
  return { redis, job: await claimByHand(h, redis, team) };
}

describe('fencing by the lock token', () => {
  it('progress and live output go through for the holder, and not once another token holds the lock', async () => {
    const url = (await h.redis()).url;
    const { redis, job } = await claimed(url, 'fence-a');
    const mine = fenceOf(job, 'token-a');
    expect(mine.lockKey).toBe(`${teamPrefix('fence-a')}:tasks:task-1:lock`);
    expect(await holdsLock(redis, mine)).toBe(true);
    await writeProgress(redis, job, mine, { phase: 'PROCESSING', bridge: 'a' });
    await appendOutputFenced(redis, mine, 'fence-a', 'task-1', 0, Buffer.from('hello\n'));

    // Another bridge took the task over after a stall: the lock holds its token now.
    await redis.set(mine.lockKey, 'token-b');
    expect(await holdsLock(redis, mine)).toBe(false);
    await expect(writeProgress(redis, job, mine, { phase: 'PROCESSING', bridge: 'stale' })).rejects.toBeInstanceOf(
      LockLostError,
    );
    await expect(
      appendOutputFenced(redis, mine, 'fence-a', 'task-1', 6, Buffer.from('again\n')),
    ).rejects.toBeInstanceOf(LockLostError);
    expect(JSON.parse((await redis.hget(`${teamPrefix('fence-a')}:tasks:task-1`, 'progress')) ?? '')).toEqual({
      phase: 'PROCESSING',
      bridge: 'a',
    });
    const chunks = await readOutputChunks(redis, 'fence-a', 'task-1', '0');
    expect(chunks.map((c) => c.data.toString())).toEqual(['hello\n']);
    // BullMQ's own finish checks the token too.
    await expect(job.moveToCompleted('stale', 'token-a', false)).rejects.toThrow(/lock/i);
  });

  it('a slot taken over by the next holder of a task is neither renewed nor released by the one that lost it', async () => {
    const url = (await h.redis()).url;
    const { redis, job } = await claimed(url, 'fence-b');
    const a = { team: 'fence-b', machine: 'm', holder: 'task-1', fence: fenceOf(job, 'token-a') };
    expect(await acquireMachineSlot(redis, a, 1, 60_000)).toBe(true);
    expect(await acquireMachineSlot(redis, { ...a, holder: 'other' }, 1, 60_000)).toBe(false);
    await redis.set(a.fence.lockKey, 'token-b');
    const b = { ...a, fence: fenceOf(job, 'token-b') };
    // A's claim can take nothing any more; B's takes the task's slot over (re-entrant: the same task).
    await expect(acquireMachineSlot(redis, a, 1, 60_000)).rejects.toBeInstanceOf(LockLostError);
    expect(await acquireMachineSlot(redis, b, 1, 60_000)).toBe(true);
    await expect(renewMachineSlot(redis, a, 60_000)).rejects.toBeInstanceOf(LockLostError);
    await releaseMachineSlot(redis, a);
    expect(await machineSlotHolders(redis, 'fence-b', 'm')).toEqual(['task-1']);
    expect(await renewMachineSlot(redis, b, 60_000)).toBe(true);
    await releaseMachineSlot(redis, b);
    expect(await machineSlotHolders(redis, 'fence-b', 'm')).toEqual([]);
  });

  it('a put-back by a bridge that lost the task takes back no try of the new holder', async () => {
    const url = (await h.redis()).url;
    const { redis, job } = await claimed(url, 'fence-c');
    const key = `${teamPrefix('fence-c')}:tasks:task-1`;
    expect(await redis.hget(key, 'ats')).toBe('1');
    await redis.set(fenceOf(job, 'token-a').lockKey, 'token-b');
    await expect(putBack(redis, job, 'token-a', 0)).rejects.toThrow(/lock/i);
    expect(await redis.hget(key, 'ats')).toBe('1');
    // The holder's own put-back uncounts its try and leaves the job PENDING (delayed).
    await putBack(redis, job, 'token-b', 0);
    expect(await redis.hget(key, 'ats')).toBe('0');
  });
});
