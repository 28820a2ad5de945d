// A lease semaphore per machine: how many tasks of the whole fleet run on one machine at once.
// A zset `rdc:{team}:machine-slots:<machine>` maps holder (taskId) → lease expiry in ms, read on Redis's
// clock so bridges with skewed clocks agree. Holders renew their lease while they run; a crashed
// bridge's lease simply expires and is dropped by the next acquire. Open-source BullMQ has no groups
// (per-group concurrency is BullMQ Pro), hence this.
import type { Redis } from 'ioredis';
import { registryKeys } from './keys.js';
import { luaScript, runScript } from './lua-script.js';

// Now in ms on Redis's clock, and the key kept as long as its latest lease.
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function keepKey()
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIREAT', KEYS[1], math.floor(tonumber(last[2])) + 1) end
end
`;

/** KEYS: slots. ARGV: holder, limit, leaseMs. 1 = holds a slot now (re-entrant), 0 = all slots taken. */
const ACQUIRE = luaScript(`${PRELUDE}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
keepKey()
return 1
`);

/**
 * KEYS: slots. ARGV: holder, leaseMs. Extends the lease; 1 = it was still held, 0 = it had expired or
 * gone (the holder is re-added anyway: its task is still running on the machine and must count).
 */
const RENEW = luaScript(`${PRELUDE}
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
local kept = score and tonumber(score) > now
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
keepKey()
if kept then return 1 end
return 0
`);

export interface MachineSlotRef {
  team: string;
  machine: string;
  /** Who holds the slot: the task id, so a bridge re-attaching to a stalled task reuses the same slot. */
  holder: string;
}

/** Takes one of `limit` slots of the machine for `leaseMs`; false when all are held by live leases. */
export async function acquireMachineSlot(
  redis: Redis,
  ref: MachineSlotRef,
  limit: number,
  leaseMs: number,
): Promise<boolean> {
  const reply = await runScript(
    redis,
    ACQUIRE,
    [registryKeys.machineSlots(ref.team, ref.machine)],
    [ref.holder, limit, leaseMs],
  );
  return reply === 1;
}

/** Extends a held lease to `leaseMs` from now; false when it had already expired (it is re-taken anyway). */
export async function renewMachineSlot(redis: Redis, ref: MachineSlotRef, leaseMs: number): Promise<boolean> {
  const reply = await runScript(
    redis,
    RENEW,
    [registryKeys.machineSlots(ref.team, ref.machine)],
    [ref.holder, leaseMs],
  );
  return reply === 1;
}

export async function releaseMachineSlot(redis: Redis, ref: MachineSlotRef): Promise<void> {
  await redis.zrem(registryKeys.machineSlots(ref.team, ref.machine), ref.holder);
}

/** Holders of live leases on a machine (for tests and the console). */
export async function machineSlotHolders(redis: Redis, team: string, machine: string): Promise<string[]> {
  const t = await redis.time();
  const now = Number(t[0]) * 1000 + Math.floor(Number(t[1]) / 1000);
  return redis.zrangebyscore(registryKeys.machineSlots(team, machine), `(${now}`, '+inf');
}

/** How often a holder renews its lease: three chances before it expires. */
export function renewIntervalMs(leaseMs: number): number {
  return Math.max(1, Math.floor(leaseMs / 3));
}
