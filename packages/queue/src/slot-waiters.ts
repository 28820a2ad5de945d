// Tasks parked for a slot. A claimed task whose machine (or fan-out batch) has no free slot is moved to BullMQ's
// delayed set for a long while (a safety net) and recorded in the semaphore's waiting list, a zset beside its slots
// (`machine-waiters:<machine>`, `batch-waiters:<batchId>`: the team's hash tag, one shard on Cluster). Whoever frees a
// slot (the end of a try, a claim that drops an expired lease, a bare release) wakes the first waiter in the same
// script: its delayed score becomes now and the queue's marker wakes a blocked worker, as BullMQ's own
// `changeDelay(0)` does; BullMQ then promotes it to its queue by itself. A waiter whose job is no longer delayed (it
// was cancelled, or its safety net fired and it was claimed) is skipped and dropped.
import { LANE_QUEUES, LANES, teamPrefix } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { luaScript, runScript } from './lua-script.js';

const LANE_QUEUE_NAMES = LANES.map((lane) => LANE_QUEUES[lane]);

/**
 * The keys a wake needs, per lane queue of the team: its delayed zset and its marker (BullMQ's key names). A script
 * that wakes waiters takes these four keys at a fixed place in its KEYS (`laneAt`).
 */
export function laneKeysOf(team: string): string[] {
  return LANE_QUEUE_NAMES.flatMap((queue) => [
    `${teamPrefix(team)}:${queue}:delayed`,
    `${teamPrefix(team)}:${queue}:marker`,
  ]);
}

/** A waiter's member: its job's queue name and id (`tasks:<taskId>`), so a wake finds the queue it is delayed in. */
export function waiterMemberOf(job: { queueName: string; id?: string | undefined }): string {
  return `${job.queueName}:${job.id}`;
}

/** A waiter's place: by priority (1 first), then by creation time, so a re-parked task keeps its place. */
export function waiterScoreOf(priority: number | undefined, createdAt: number): number {
  return (priority ?? 0) * 1e13 + createdAt;
}

/**
 * Lua: `clock()` (ms, Redis's clock, read on first use only: a claim that takes no slot calls no TIME), `holderOf`
 * and `wakeWaiters(waiters, count, laneAt)`, which wakes up to `count` waiters of the list, first first. Delayed
 * scores are BullMQ's: the due time in ms times 0x1000.
 */
export const WAKE_LUA = `
local now
local function clock()
  if not now then
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return now
end
local function holderOf(member)
  local i = string.find(member, ':', 1, true)
  if i then return string.sub(member, 1, i - 1) end
  return member
end
local function wakeWaiters(waiters, count, laneAt)
  local lanes = {}
  ${LANE_QUEUE_NAMES.map((queue, i) => `lanes['${queue}'] = { KEYS[laneAt + ${2 * i}], KEYS[laneAt + ${2 * i + 1}] }`).join('\n  ')}
  local woken = 0
  local looked = 0
  while woken < count and looked < count + 16 do
    local first = redis.call('ZPOPMIN', waiters)
    if not first[1] then break end
    looked = looked + 1
    local i = string.find(first[1], ':', 1, true)
    local lane = i and lanes[string.sub(first[1], 1, i - 1)]
    local id = i and string.sub(first[1], i + 1)
    if lane and redis.call('ZSCORE', lane[1], id) then
      redis.call('ZADD', lane[1], clock() * 0x1000, id)
      -- As BullMQ's addDelayMarkerIfNeeded: the marker holds the next due time, and wakes a worker blocked on it.
      local next = redis.call('ZRANGE', lane[1], 0, 0, 'WITHSCORES')
      redis.call('ZADD', lane[2], math.floor(tonumber(next[2]) / 0x1000), '1')
      woken = woken + 1
    end
  end
  return woken
end
`;

/**
 * KEYS: slots, waiters, lane keys (4). ARGV: member, score, limit, waiters' ttl (ms). Records a task just moved to
 * delayed as a waiter, then wakes as many waiters as slots are free now: a slot freed between the claim and the
 * park found no waiter to wake. 1 = parked, 0 = the job is not delayed any more (nothing recorded).
 */
const PARK = luaScript(`${WAKE_LUA}
local i = string.find(ARGV[1], ':', 1, true)
local queue = string.sub(ARGV[1], 1, i - 1)
local delayed = nil
${LANE_QUEUE_NAMES.map((queue, i) => `if queue == '${queue}' then delayed = KEYS[${3 + 2 * i}] end`).join('\n')}
if not delayed or not redis.call('ZSCORE', delayed, string.sub(ARGV[1], i + 1)) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', clock())
local free = tonumber(ARGV[3]) - redis.call('ZCARD', KEYS[1])
if free > 0 then wakeWaiters(KEYS[2], free, 3) end
return 1
`);

export interface ParkRef {
  team: string;
  /** The semaphore's slots and waiting list (registryKeys.machineSlots/machineWaiters, batchSlots/batchWaiters). */
  slotsKey: string;
  waitersKey: string;
  limit: number;
  /** waiterMemberOf and waiterScoreOf of the task. */
  member: string;
  score: number;
  /** How long the waiting list is kept after this park: longer than the longest safety net of a parked task. */
  ttlMs: number;
}

/**
 * Records a task the caller has just moved to delayed as a waiter for a slot (woken at once when one is free
 * already). False when the job was not delayed any more.
 */
export async function parkTask(redis: Redis, ref: ParkRef): Promise<boolean> {
  const reply = await runScript(
    redis,
    PARK,
    [ref.slotsKey, ref.waitersKey, ...laneKeysOf(ref.team)],
    [ref.member, ref.score, ref.limit, ref.ttlMs],
  );
  return reply === 1;
}

/** The waiters of a semaphore, first first (for tests and the console). */
export async function slotWaiters(redis: Redis, waitersKey: string): Promise<string[]> {
  const members = await redis.zrange(waitersKey, 0, -1);
  return members.map((member) => member.slice(member.indexOf(':') + 1));
}
