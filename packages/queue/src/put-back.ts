// Handing a claimed job back to its queue without failing it or using one of its tries, for a bridge
// that cannot run it yet (its machine is at its limit, or the bridge is shutting down before it started).
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { fenceOf } from './fencing.js';
import { luaScript, runScript } from './lua-script.js';

// Moving a job to active counts a started try (`ats`, read back as a task's `attempts` and `retryCount`);
// this try never started, so take it back. Only while the job still exists: a cancel may have removed
// it, and HINCRBY would create a stray hash that looks like a task. Only by the lock's holder (KEYS[2] holds ARGV[1]):
// a bridge that lost the task must not take back a try another bridge started.
const UNCOUNT_START = luaScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('HGET', KEYS[1], 'ats') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'ats', -1)
end
return 0
`);

/**
 * Moves an active job to delayed for `delayMs` (it stays PENDING). moveToDelayed skips the attempts
 * counter; the processor must then throw BullMQ's DelayedError so the worker leaves the job alone.
 */
export async function putBack(redis: Redis, job: Job, token: string, delayMs: number): Promise<void> {
  // Uncount first: once delayed, another bridge may claim the job (count +1) before a later uncount ran.
  const fence = fenceOf(job, token);
  await runScript(redis, UNCOUNT_START, [`${job.queueQualifiedName}:${job.id}`, fence.lockKey], [fence.token]);
  await job.moveToDelayed(Date.now() + delayMs, token);
}
