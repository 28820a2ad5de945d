// A bridge's writes on a task's transitions, one round trip each, every one fenced by the claim's lock token
// (fencing.ts): the claim (take a machine slot and record ASSIGNED; for a task claimed before, read its cancel flag
// and where its live output stopped in the same pipeline) and the end of a try (release the slot and wake a task
// parked for it, check the lock, record a failed try's result). Each is a Lua script over keys of one team, which share the team's hash tag (one
// shard on Cluster).

import { registryKeys } from '@rediacc/core';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { LockLostError, type TaskFence } from './fencing.js';
import { luaScript, runScript } from './lua-script.js';
import { streamEndOf } from './output-stream.js';
import { laneKeysOf, WAKE_LUA, waiterMemberOf } from './slot-waiters.js';

// As fencing.ts's PROGRESS: the progress field and a "progress" event, like BullMQ's updateProgress.
const WRITE_PROGRESS = `
local function writeProgress(job, events, meta, jobId, json)
  local maxEvents = redis.call('HGET', meta, 'opts.maxLenEvents') or 10000
  redis.call('HSET', job, 'progress', json)
  redis.call('XADD', events, 'MAXLEN', '~', maxEvents, '*', 'event', 'progress', 'jobId', jobId, 'data', json)
end
`;

// KEYS of both scripts: lock, job, events, meta, the lane keys of a wake (slot-waiters.ts), then per semaphore held
// or to take (the machine's, then a batch's): its slots and its waiting list.
const LANE_AT = 5;
const SEMAPHORES_AT = 9;

/**
 * ARGV: holder, leaseMs, member, token, progress JSON, waiter member, waiter score, '1' when the last key is a
 * batch's stop flag to check ('' otherwise), then per semaphore its limit. A batch stopped by another task's failure
 * (--stop-on-failure): nothing taken nor recorded. Else takes a slot of every semaphore or of none: as
 * machine-slots.ts's ACQUIRE (members "holder:token", leases on Redis's clock, expired ones dropped: the slots they
 * free wake waiters), then records the progress and drops the task from the waiting lists. A full one: the try
 * never started, so its count is taken back (as put-back.ts does) before the bridge parks the job. -1 = lock lost,
 * {0, i, ahead} = semaphore i is full and `ahead` tasks wait before this one, {1, taskId} = the batch was stopped by
 * that task, else the lock's remaining time in ms (at least 1): the claim's lease (TaskLease).
 */
const CLAIM = luaScript(`${WRITE_PROGRESS}${WAKE_LUA}
if redis.call('GET', KEYS[1]) ~= ARGV[4] then return -1 end
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local last = #KEYS
if ARGV[8] == '1' then
  local stoppedBy = redis.call('GET', KEYS[#KEYS])
  if stoppedBy and stoppedBy ~= ARGV[1] then return { 1, stoppedBy } end
  last = last - 1
end
local n = (last - ${SEMAPHORES_AT - 1}) / 2
local mine = {}
local freed = {}
local function wakeFreed(i)
  local slots = KEYS[${SEMAPHORES_AT} + 2 * (i - 1)]
  local free = math.min(freed[i], tonumber(ARGV[8 + i]) - redis.call('ZCARD', slots))
  if free > 0 then wakeWaiters(KEYS[${SEMAPHORES_AT} + 2 * i - 1], free, ${LANE_AT}) end
end
for i = 1, n do
  local slots = KEYS[${SEMAPHORES_AT} + 2 * (i - 1)]
  freed[i] = redis.call('ZREMRANGEBYSCORE', slots, '-inf', clock())
  for _, m in ipairs(redis.call('ZRANGE', slots, 0, -1)) do
    if holderOf(m) == ARGV[1] then mine[i] = m end
  end
  if not mine[i] and redis.call('ZCARD', slots) >= tonumber(ARGV[8 + i]) then
    for j = 1, i - 1 do wakeFreed(j) end
    if tonumber(redis.call('HGET', KEYS[2], 'ats') or '0') > 0 then redis.call('HINCRBY', KEYS[2], 'ats', -1) end
    return { 0, i, redis.call('ZCOUNT', KEYS[${SEMAPHORES_AT} + 2 * i - 1], '-inf', '(' .. ARGV[7]) }
  end
end
for i = 1, n do
  local slots = KEYS[${SEMAPHORES_AT} + 2 * (i - 1)]
  if mine[i] and mine[i] ~= ARGV[3] then redis.call('ZREM', slots, mine[i]) end
  redis.call('ZADD', slots, clock() + tonumber(ARGV[2]), ARGV[3])
  local latest = redis.call('ZRANGE', slots, -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', slots, math.floor(tonumber(latest[2])) + 1)
  redis.call('ZREM', KEYS[${SEMAPHORES_AT} + 2 * i - 1], ARGV[6])
  wakeFreed(i)
end
writeProgress(KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[5])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 1 then return 1 end
return ttl
`);

/**
 * ARGV: member ('' when no slot is held), token, jobId, progress JSON ('' for none), then, when the last key is a
 * batch's stop flag: the task id to set it to and its ttl in seconds (the try failed for good: --stop-on-failure).
 * Releases the claim's own slots (never one taken over since: the member carries the token) and wakes a waiter for
 * each slot freed (its own and any expired lease); only while the lock holds the token, stops the batch (the first
 * failure wins; in the same step as the release, so no task woken by it can start first) and records the progress.
 * 1 = held, 0 = lock lost (or the job is gone).
 */
const END_TRY = luaScript(`${WRITE_PROGRESS}${WAKE_LUA}
local held = redis.call('GET', KEYS[1]) == ARGV[2]
local last = #KEYS
if ARGV[5] then
  if held then redis.call('SET', KEYS[#KEYS], ARGV[5], 'EX', ARGV[6], 'NX') end
  last = last - 1
end
for i = ${SEMAPHORES_AT}, last, 2 do
  local freed = redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', clock())
  if ARGV[1] ~= '' then freed = freed + redis.call('ZREM', KEYS[i], ARGV[1]) end
  if freed > 0 then wakeWaiters(KEYS[i + 1], freed, ${LANE_AT}) end
end
if not held then return 0 end
if ARGV[4] ~= '' then
  if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
  writeProgress(KEYS[2], KEYS[3], KEYS[4], ARGV[3], ARGV[4])
end
return 1
`);

/** The task a bridge claimed: its job, the claim's fence, and its team and machine (from its parsed job data). */
export interface ClaimedTask {
  job: Pick<Job, 'queueQualifiedName' | 'queueName' | 'id'>;
  fence: TaskFence;
  team: string;
  machine: string;
}

/** A lease semaphore a claim takes a slot of: its slots, the tasks parked for one (slot-waiters.ts), its limit. */
export interface SlotSemaphore {
  slotsKey: string;
  waitersKey: string;
  limit: number;
}

/** The machine's fleet-wide slots (machine-slots.ts). */
export function machineSemaphore(team: string, machine: string, limit: number): SlotSemaphore {
  return {
    slotsKey: registryKeys.machineSlots(team, machine),
    waitersKey: registryKeys.machineWaiters(team, machine),
    limit,
  };
}

/** A fan-out batch's --max-parallel slots. */
export function batchSemaphore(team: string, batchId: string, limit: number): SlotSemaphore {
  return {
    slotsKey: registryKeys.batchSlots(team, batchId),
    waitersKey: registryKeys.batchWaiters(team, batchId),
    limit,
  };
}

export interface ClaimSlots {
  /** Every semaphore the task needs a slot of; the claim takes all or none. */
  semaphores: SlotSemaphore[];
  leaseMs: number;
  /** The task's place among the waiters should it have to wait (waiterScoreOf). */
  score: number;
  /** A --stop-on-failure batch's stop flag (registryKeys.batchStop): once set by another task, the claim refuses. */
  stopFlag?: string | undefined;
}

export type ClaimReply =
  | {
      slot: false;
      /** The task whose failure stopped the task's batch: this one must not start. */
      stoppedBy: string;
    }
  | {
      slot: false;
      /** The semaphore with no free slot, to park the task for. */
      full: SlotSemaphore;
      /** How many tasks wait for it before this one. */
      ahead: number;
    }
  | {
      slot: true;
      cancelRequested: boolean;
      outputEnd: number;
      /** How long the lock had left when the claim checked it, in ms (0: no expiry known): the claim's lease. */
      lockTtlMs: number;
    };

/** The member a claim's slot has in the machine's zset (machine-slots.ts): `taskId:token`. */
export function slotMemberOf(task: ClaimedTask): string {
  return `${task.job.id}:${task.fence.token}`;
}

function keysOf(task: ClaimedTask, semaphores: readonly SlotSemaphore[], stopFlag?: string): string[] {
  const queue = task.job.queueQualifiedName;
  return [
    task.fence.lockKey,
    `${queue}:${task.job.id}`,
    `${queue}:events`,
    `${queue}:meta`,
    ...laneKeysOf(task.team),
    ...semaphores.flatMap((s) => [s.slotsKey, s.waitersKey]),
    ...(stopFlag === undefined ? [] : [stopFlag]),
  ];
}

/**
 * The claim, in one round trip: takes a slot of every semaphore `slots` names (or of none), records `progress`,
 * and when the task was claimed before reads its cancel flag and where its live output stopped. `{ slot: false }`:
 * a semaphore is full, and the try is uncounted: park the job now (parkTask). LockLostError when the lock is not
 * the claim's.
 */
export async function claimTask(
  redis: Redis,
  task: ClaimedTask,
  slots: ClaimSlots | undefined,
  progress: object,
  claimedBefore: boolean,
): Promise<ClaimReply> {
  const taskId = String(task.job.id);
  const semaphores = slots?.semaphores ?? [];
  const keys = keysOf(task, semaphores, slots?.stopFlag);
  const args = [
    taskId,
    slots?.leaseMs ?? 0,
    slotMemberOf(task),
    task.fence.token,
    JSON.stringify(progress),
    waiterMemberOf(task.job),
    slots?.score ?? 0,
    slots?.stopFlag === undefined ? '' : '1',
    ...semaphores.map((s) => s.limit),
  ];
  let reply: unknown;
  let cancelRequested = false;
  let outputEnd = 0;
  if (!claimedBefore) reply = await runScript(redis, CLAIM, keys, args);
  else {
    // The reads ride in the same pipeline, outside the script: a bridge may only read cancel flags (its ACL), and
    // a script may only be handed keys its caller may write.
    const [claim, flag, last] = (await redis
      .pipeline()
      .evalsha(CLAIM.sha, keys.length, ...keys, ...args)
      .exists(registryKeys.cancelRequest(task.team, taskId))
      .xrevrangeBuffer(registryKeys.output(task.team, taskId), '+', '-', 'COUNT', 1)
      .exec()) as [Error | null, unknown][];
    if (flag?.[0] || last?.[0]) throw flag?.[0] ?? last?.[0];
    const error = claim?.[0];
    if (error && !error.message.startsWith('NOSCRIPT')) throw error;
    reply = error ? await runScript(redis, CLAIM, keys, args) : claim?.[1];
    cancelRequested = flag?.[1] === 1;
    outputEnd = streamEndOf(((last?.[1] ?? []) as [Buffer, Buffer[]][])[0]);
  }
  if (reply === -1) throw new LockLostError('the claim');
  if (Array.isArray(reply) && reply[0] === 1) return { slot: false, stoppedBy: String(reply[1]) };
  if (Array.isArray(reply)) {
    const full = semaphores[Number(reply[1]) - 1];
    if (!full) throw new Error(`the claim named no semaphore of its ${semaphores.length}: ${JSON.stringify(reply)}`);
    return { slot: false, full, ahead: Number(reply[2]) };
  }
  // 1: the lock had no expiry (or under a millisecond left): no lease to lean on.
  const lockTtlMs = typeof reply === 'number' && reply > 1 ? reply : 0;
  return { slot: true, cancelRequested, outputEnd, lockTtlMs };
}

/** A --stop-on-failure batch stopped by the end of a try: its stop flag, and how long the flag is kept. */
export interface BatchStop {
  flag: string;
  ttlSeconds: number;
}

/**
 * The end of a try, in one round trip: releases the claim's slots of `held` (waking a parked task for each),
 * checks the lock still holds the claim's token, and then stops the batch (`stop`: the try failed for good) and
 * records `progress` (a failed try's result) when given. LockLostError when it does not.
 */
export async function endTry(
  redis: Redis,
  task: ClaimedTask,
  held: readonly SlotSemaphore[],
  progress: object | undefined,
  what: string,
  stop?: BatchStop,
): Promise<void> {
  const args = [held.length > 0 ? slotMemberOf(task) : '', task.fence.token, String(task.job.id)];
  args.push(progress ? JSON.stringify(progress) : '');
  if (stop) args.push(String(task.job.id), String(stop.ttlSeconds));
  const reply = await runScript(redis, END_TRY, keysOf(task, held, stop?.flag), args);
  if (reply !== 1) throw new LockLostError(what);
}
