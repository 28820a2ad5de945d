// BullMQ's lock token as a fencing token. A bridge holds a task while `<prefix>:<queue>:<jobId>:lock` holds its
// token; a bridge frozen past its lock (a GC pause, a VM migration) wakes up with a token that is no longer there.
// BullMQ checks the token itself when a job finishes (moveToFinished, moveToDelayed, retryJob); every other write a
// bridge makes while it runs a task (progress, live output, machine slots) goes through a script here that checks
// it first, in the same step, so a woken bridge cannot write over the bridge that took the task over.

import { registryKeys } from '@rediacc/core';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { luaScript, runScript } from './lua-script.js';
import { OUTPUT_CHUNK_BYTES, OUTPUT_STREAM_CHUNKS, OUTPUT_STREAM_TTL_SECONDS } from './output-stream.js';

/** Who holds a task: the job's lock key and the token a bridge got when it claimed the job. */
export interface TaskFence {
  lockKey: string;
  token: string;
}

/** The fence of a job claimed with `token`. */
export function fenceOf(job: Pick<Job, 'queueQualifiedName' | 'id'>, token: string): TaskFence {
  return { lockKey: `${job.queueQualifiedName}:${job.id}:lock`, token };
}

/** The lock of the task is no longer held with this token: another bridge holds the task (or it has ended). */
export class LockLostError extends Error {
  constructor(what: string) {
    super(`lost the task's lock: ${what} was not written (another bridge holds the task now, or it has ended)`);
    this.name = 'LockLostError';
  }
}

/**
 * KEYS: lock, job, events, meta. ARGV: token, jobId, progress JSON. As BullMQ's updateProgress (the progress field
 * and a "progress" event), but only while the lock holds the token. 1 = written, 0 = lock lost, -1 = no job.
 */
const PROGRESS = luaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local maxEvents = redis.call('HGET', KEYS[4], 'opts.maxLenEvents') or 10000
redis.call('HSET', KEYS[2], 'progress', ARGV[3])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', maxEvents, '*', 'event', 'progress', 'jobId', ARGV[2], 'data', ARGV[3])
return 1
`);

/** Writes the job's progress (and its "progress" event) only while `fence` holds the lock; throws LockLostError. */
export async function writeProgress(redis: Redis, job: Job, fence: TaskFence, progress: object): Promise<void> {
  const json = JSON.stringify(progress);
  const queue = job.queueQualifiedName;
  const reply = await runScript(
    redis,
    PROGRESS,
    [fence.lockKey, `${queue}:${job.id}`, `${queue}:events`, `${queue}:meta`],
    [fence.token, String(job.id), json],
  );
  if (reply !== 1) throw new LockLostError('progress');
  job.progress = progress as Job['progress'];
}

/** Whether `fence` still holds the task's lock (for a check before a step that writes nothing to Redis). */
export async function holdsLock(redis: Redis, fence: TaskFence): Promise<boolean> {
  return (await redis.get(fence.lockKey)) === fence.token;
}

/**
 * KEYS: lock, output stream. ARGV: token, maxlen, ttl, then per chunk: offset, data, rawEnd ('' when none).
 * As appendOutput, only while the lock holds the token. 1 = appended, 0 = lock lost.
 */
const APPEND = luaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 4, #ARGV, 3 do
  if ARGV[i + 2] == '' then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'o', ARGV[i], 'd', ARGV[i + 1])
  else
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'o', ARGV[i], 'd', ARGV[i + 1], 'e', ARGV[i + 2])
  end
end
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
`);

/** appendOutput under the task's fence: a bridge that lost the task adds nothing to its live output. */
export async function appendOutputFenced(
  redis: Redis,
  fence: TaskFence,
  team: string,
  taskId: string,
  offset: number,
  data: Buffer,
  rawEnd = offset + data.length,
): Promise<void> {
  const chunks: (string | Buffer)[] = [];
  for (let at = 0; at < data.length; at += OUTPUT_CHUNK_BYTES) {
    const last = at + OUTPUT_CHUNK_BYTES >= data.length;
    const end = last && rawEnd !== offset + data.length ? String(rawEnd) : '';
    chunks.push(String(offset + at), data.subarray(at, at + OUTPUT_CHUNK_BYTES), end);
  }
  const reply = await runScript(
    redis,
    APPEND,
    [fence.lockKey, registryKeys.output(team, taskId)],
    [fence.token, OUTPUT_STREAM_CHUNKS, OUTPUT_STREAM_TTL_SECONDS, ...chunks],
  );
  if (reply !== 1) throw new LockLostError('live output');
}
