// A bridge's writes on a task's transitions, one round trip each, every one fenced by the claim's lock token
// (fencing.ts): the claim (take a machine slot and record ASSIGNED; for a task claimed before, read its cancel flag
// and where its live output stopped in the same pipeline) and the end of a try (release the slot, check the lock,
// record a failed try's result). Each is a Lua script over keys of one team, which share the team's hash tag (one
// shard on Cluster).

import { registryKeys } from '@rediacc/core';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { LockLostError, type TaskFence } from './fencing.js';
import { luaScript, runScript } from './lua-script.js';
import { streamEndOf } from './output-stream.js';

// As fencing.ts's PROGRESS: the progress field and a "progress" event, like BullMQ's updateProgress.
const WRITE_PROGRESS = `
local function writeProgress(job, events, meta, jobId, json)
  local maxEvents = redis.call('HGET', meta, 'opts.maxLenEvents') or 10000
  redis.call('HSET', job, 'progress', json)
  redis.call('XADD', events, 'MAXLEN', '~', maxEvents, '*', 'event', 'progress', 'jobId', jobId, 'data', json)
end
`;

/**
 * KEYS: slots, lock, job, events, meta. ARGV: holder, limit (-1: none), leaseMs, member, token, progress JSON. As
 * machine-slots.ts's ACQUIRE (members "holder:token", leases on Redis's clock), then the progress. No free slot: the
 * try never started, so its count is taken back (as put-back.ts does) before the bridge delays the job. -1 = lock
 * lost, 0 = no slot, else the lock's remaining time in ms (at least 1): the claim's lease (TaskLease).
 */
const CLAIM = luaScript(`${WRITE_PROGRESS}
if redis.call('GET', KEYS[2]) ~= ARGV[5] then return -1 end
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
local limit = tonumber(ARGV[2])
if limit >= 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  local mine = nil
  for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    local i = string.find(m, ':', 1, true)
    local holder = m
    if i then holder = string.sub(m, 1, i - 1) end
    if holder == ARGV[1] then mine = m end
  end
  if not mine and redis.call('ZCARD', KEYS[1]) >= limit then
    if tonumber(redis.call('HGET', KEYS[3], 'ats') or '0') > 0 then redis.call('HINCRBY', KEYS[3], 'ats', -1) end
    return 0
  end
  if mine and mine ~= ARGV[4] then redis.call('ZREM', KEYS[1], mine) end
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIREAT', KEYS[1], math.floor(tonumber(last[2])) + 1) end
end
writeProgress(KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[6])
local ttl = redis.call('PTTL', KEYS[2])
if ttl < 1 then return 1 end
return ttl
`);

/**
 * KEYS: slots, lock, job, events, meta. ARGV: member ('' when no slot is held), token, jobId, progress JSON ('' for
 * none). Releases the claim's own slot (never one taken over since: the member carries the token), then, only
 * while the lock holds the token, records the progress. 1 = held, 0 = lock lost (or the job is gone).
 */
const END_TRY = luaScript(`${WRITE_PROGRESS}
if ARGV[1] ~= '' then redis.call('ZREM', KEYS[1], ARGV[1]) end
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
if ARGV[4] ~= '' then
  if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
  writeProgress(KEYS[3], KEYS[4], KEYS[5], ARGV[3], ARGV[4])
end
return 1
`);

/** The task a bridge claimed: its job, the claim's fence, and its team and machine (from its parsed job data). */
export interface ClaimedTask {
  job: Pick<Job, 'queueQualifiedName' | 'id'>;
  fence: TaskFence;
  team: string;
  machine: string;
}

export interface ClaimSlot {
  limit: number;
  leaseMs: number;
}

export type ClaimReply =
  | { slot: false }
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

function keysOf(task: ClaimedTask): string[] {
  const queue = task.job.queueQualifiedName;
  return [
    registryKeys.machineSlots(task.team, task.machine),
    task.fence.lockKey,
    `${queue}:${task.job.id}`,
    `${queue}:events`,
    `${queue}:meta`,
  ];
}

/**
 * The claim, in one round trip: takes a slot of the machine (when `slot` gives a limit), records `progress`, and
 * when the task was claimed before reads its cancel flag and where its live output stopped. `{ slot: false }`: no
 * free slot, and the try is uncounted: delay the job now. LockLostError when the lock is not the claim's.
 */
export async function claimTask(
  redis: Redis,
  task: ClaimedTask,
  slot: ClaimSlot | undefined,
  progress: object,
  claimedBefore: boolean,
): Promise<ClaimReply> {
  const taskId = String(task.job.id);
  const keys = keysOf(task);
  const args = [
    taskId,
    slot?.limit ?? -1,
    slot?.leaseMs ?? 0,
    slotMemberOf(task),
    task.fence.token,
    JSON.stringify(progress),
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
  if (reply === 0) return { slot: false };
  // 1: the lock had no expiry (or under a millisecond left): no lease to lean on.
  const lockTtlMs = typeof reply === 'number' && reply > 1 ? reply : 0;
  return { slot: true, cancelRequested, outputEnd, lockTtlMs };
}

/**
 * The end of a try, in one round trip: releases the claim's slot (when `slotHeld`), checks the lock still holds
 * the claim's token, and records `progress` (a failed try's result) when given. LockLostError when it does not.
 */
export async function endTry(
  redis: Redis,
  task: ClaimedTask,
  slotHeld: boolean,
  progress: object | undefined,
  what: string,
): Promise<void> {
  const reply = await runScript(redis, END_TRY, keysOf(task), [
    slotHeld ? slotMemberOf(task) : '',
    task.fence.token,
    String(task.job.id),
    progress ? JSON.stringify(progress) : '',
  ]);
  if (reply !== 1) throw new LockLostError(what);
}
