// A lease semaphore per machine: how many tasks of the whole fleet run on one machine at once.
// A zset `rdc:{team}:machine-slots:<machine>` maps holder (taskId) → lease expiry in ms, read on Redis's
// clock so bridges with skewed clocks agree. Holders renew their lease while they run; a crashed
// bridge's lease simply expires and is dropped by the next acquire. Open-source BullMQ has no groups
// (per-group concurrency is BullMQ Pro), hence this. Bridges hold slots fenced by their task's lock (fencing.ts):
// a bridge that lost the task can neither renew nor release the slot the task holds now on another bridge.

import { registryKeys } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { LockLostError, type TaskFence } from './fencing.js';
import { luaScript, runScript } from './lua-script.js';
import { laneKeysOf, WAKE_LUA } from './slot-waiters.js';

// Now in ms on Redis's clock, and the key kept as long as its latest lease.
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function keepKey()
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIREAT', KEYS[1], math.floor(tonumber(last[2])) + 1) end
end
`;

// A fenced holder's member is "holder:token" (task ids hold no ":"): the task's lock token at its claim. A bridge
// that takes a stalled task over replaces the member with its own token, so the bridge that lost the task can
// neither renew nor release the slot any more. KEYS[2], when given, is the task's lock: every call by a fenced
// holder first checks the lock still holds its token (-1 otherwise).
const FENCE = `
if KEYS[2] and redis.call('GET', KEYS[2]) ~= ARGV[5] then return -1 end
local function holderOf(member)
  local i = string.find(member, ':', 1, true)
  if i then return string.sub(member, 1, i - 1) end
  return member
end
`;

/**
 * KEYS: slots [, lock]. ARGV: holder, limit, leaseMs, member, token. 1 = holds a slot now (re-entrant, and taken
 * over from an earlier holder of the same task), 0 = all slots taken, -1 = the lock is not ours.
 */
const ACQUIRE = luaScript(`${PRELUDE}${FENCE}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local mine = nil
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if holderOf(m) == ARGV[1] then mine = m end
end
if not mine and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
if mine and mine ~= ARGV[4] then redis.call('ZREM', KEYS[1], mine) end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
keepKey()
return 1
`);

/**
 * KEYS: slots [, lock]. ARGV: holder, leaseMs, member, (unused), token. Extends the lease; 1 = it was still held,
 * 0 = it had expired or gone (the holder is re-added anyway: its task is still running on the machine and must
 * count), -1 = the task is not this holder's any more (its lock, or the slot, went to another bridge).
 */
const RENEW = luaScript(`${PRELUDE}${FENCE}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if m ~= ARGV[3] and holderOf(m) == ARGV[1] then return -1 end
end
local score = redis.call('ZSCORE', KEYS[1], ARGV[3])
local kept = score and tonumber(score) > now
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
keepKey()
if kept then return 1 end
return 0
`);

/**
 * KEYS: lock, then the slots of every semaphore held. ARGV: holder, leaseMs, member, token. RENEW for them all in
 * one step: 1 = all still held, 0 = one had expired or gone (re-taken anyway), -1 = the task is not this holder's
 * any more.
 */
const RENEW_ALL = luaScript(`${PRELUDE}
if redis.call('GET', KEYS[1]) ~= ARGV[4] then return -1 end
local kept = 1
for k = 2, #KEYS do
  for _, m in ipairs(redis.call('ZRANGE', KEYS[k], 0, -1)) do
    local i = string.find(m, ':', 1, true)
    if m ~= ARGV[3] and i and string.sub(m, 1, i - 1) == ARGV[1] then return -1 end
  end
  local score = redis.call('ZSCORE', KEYS[k], ARGV[3])
  if not score or tonumber(score) <= now then kept = 0 end
  redis.call('ZADD', KEYS[k], now + tonumber(ARGV[2]), ARGV[3])
  local last = redis.call('ZRANGE', KEYS[k], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[k], math.floor(tonumber(last[2])) + 1)
end
return kept
`);

/**
 * Extends the leases a fenced holder (`fence`) holds on every one of `slotsKeys` (its machine's, its batch's) in
 * one round trip; false when one had already expired (it is re-taken anyway). LockLostError when the task went to
 * another bridge: the slots are theirs now.
 */
export async function renewSlots(
  redis: Redis,
  holder: string,
  fence: TaskFence,
  slotsKeys: readonly string[],
  leaseMs: number,
): Promise<boolean> {
  const reply = await runScript(
    redis,
    RENEW_ALL,
    [fence.lockKey, ...slotsKeys],
    [holder, leaseMs, `${holder}:${fence.token}`, fence.token],
  );
  if (reply === -1) throw new LockLostError('the slots');
  return reply === 1;
}

export interface MachineSlotRef {
  team: string;
  machine: string;
  /** Who holds the slot: the task id, so a bridge re-attaching to a stalled task reuses the same slot. */
  holder: string;
  /** The claim's lock: the slot is this claim's only while the lock holds its token. */
  fence?: TaskFence | undefined;
  /** Another semaphore of the same layout instead of the machine's (a batch's --max-parallel: batchSlots). */
  slotsKey?: string;
  /** With slotsKey: its waiting list (batchWaiters). */
  waitersKey?: string;
}

function memberOf(ref: MachineSlotRef): string {
  return ref.fence ? `${ref.holder}:${ref.fence.token}` : ref.holder;
}

function slotsKeyOf(ref: MachineSlotRef): string {
  return ref.slotsKey ?? registryKeys.machineSlots(ref.team, ref.machine);
}

function keysOf(ref: MachineSlotRef): string[] {
  const slots = slotsKeyOf(ref);
  return ref.fence ? [slots, ref.fence.lockKey] : [slots];
}

/**
 * Takes one of `limit` slots of the machine for `leaseMs`; false when all are held by live leases. A fenced
 * holder whose lock is gone gets LockLostError.
 */
export async function acquireMachineSlot(
  redis: Redis,
  ref: MachineSlotRef,
  limit: number,
  leaseMs: number,
): Promise<boolean> {
  const reply = await runScript(redis, ACQUIRE, keysOf(ref), [
    ref.holder,
    limit,
    leaseMs,
    memberOf(ref),
    ref.fence?.token ?? '',
  ]);
  if (reply === -1) throw new LockLostError('the machine slot');
  return reply === 1;
}

/**
 * Extends a held lease to `leaseMs` from now; false when it had already expired (it is re-taken anyway).
 * LockLostError when the task went to another bridge: the slot is theirs now.
 */
export async function renewMachineSlot(redis: Redis, ref: MachineSlotRef, leaseMs: number): Promise<boolean> {
  const reply = await runScript(redis, RENEW, keysOf(ref), [
    ref.holder,
    leaseMs,
    memberOf(ref),
    '',
    ref.fence?.token ?? '',
  ]);
  if (reply === -1) throw new LockLostError('the machine slot');
  return reply === 1;
}

/** KEYS: slots, waiters, lane keys (slot-waiters.ts). ARGV: member. Releases it and wakes a waiter per slot freed. */
const RELEASE = luaScript(`${WAKE_LUA}
local freed = redis.call('ZREM', KEYS[1], ARGV[1]) + redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', clock())
if freed > 0 then wakeWaiters(KEYS[2], freed, 3) end
return freed
`);

/**
 * Releases the holder's slot and wakes a task parked for it; a fenced holder releases only its own claim's (never
 * one taken over since).
 */
export async function releaseMachineSlot(redis: Redis, ref: MachineSlotRef): Promise<void> {
  const waiters = ref.waitersKey ?? registryKeys.machineWaiters(ref.team, ref.machine);
  await runScript(redis, RELEASE, [slotsKeyOf(ref), waiters, ...laneKeysOf(ref.team)], [memberOf(ref)]);
}

/** Holders of live leases on a machine (for tests and the console). */
export async function machineSlotHolders(redis: Redis, team: string, machine: string): Promise<string[]> {
  const t = await redis.time();
  const now = Number(t[0]) * 1000 + Math.floor(Number(t[1]) / 1000);
  const members = await redis.zrangebyscore(registryKeys.machineSlots(team, machine), `(${now}`, '+inf');
  return members.map((member) => member.split(':')[0] ?? member);
}

/** How often a holder renews its lease: three chances before it expires. */
export function renewIntervalMs(leaseMs: number): number {
  return Math.max(1, Math.floor(leaseMs / 3));
}
