// Tombstones of tasks cancelled while PENDING. BullMQ cannot move a waiting job to failed and `remove()`
// leaves no record, so the job is removed and its last snapshot kept here, read back as CANCELLED.
import type { JobSnapshot, TaskView } from '@rediacc/core';
import {
  ARCHIVE_KEPT,
  FINISHED_TASK_RETENTION,
  progressSchema,
  readJobData,
  registryKeys,
  toTaskView,
} from '@rediacc/core';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { luaScript, runScript } from './lua-script.js';
import { jobOrigin } from './task-reader.js';

export const CANCELLED_REASON = 'RDC_CANCELLED: cancelled before it ran';

interface Tombstone {
  data: unknown;
  timestamp: number;
  attemptsStarted: number;
  cancelledAt: number;
}

/** claimed: a bridge holds it now; live: pending, but its command runs on a machine (handed back, or its bridge died). */
export type CancelPendingResult = 'cancelled' | 'claimed' | 'live';

/**
 * Cancels a PENDING task: writes its tombstone, then removes the job. If a bridge claimed it in between
 * (BullMQ refuses to remove a locked job), the tombstone is taken back and 'claimed' returned. A pending task
 * whose run is still going on a machine is left alone ('live'): only a bridge can stop the run.
 */
export async function cancelPending(
  redis: Redis,
  queue: Queue,
  team: string,
  taskId: string,
): Promise<CancelPendingResult> {
  const job = await queue.getJob(taskId);
  if (!job) return 'claimed';
  if (hasLiveRun(job)) return 'live';
  // Every field spelled out (version-2 job data leaves out what the job says): a tombstone has no job beside it.
  const full = readJobData(job.data, jobOrigin(job));
  const tombstone: Tombstone = {
    data: full.success ? full.data : job.data,
    timestamp: job.timestamp,
    attemptsStarted: job.attemptsStarted ?? job.attemptsMade,
    cancelledAt: Date.now(),
  };
  await redis
    .multi()
    .hset(registryKeys.cancelled(team), taskId, JSON.stringify(tombstone))
    .zadd(registryKeys.cancelledOrder(team), tombstone.cancelledAt, taskId)
    .exec();
  let removed = 0;
  try {
    removed = await queue.remove(taskId);
  } catch {
    removed = 0; // locked: a bridge holds it now
  }
  if (removed === 1) {
    await trimTombstones(redis, team, tombstone.cancelledAt);
    return 'cancelled';
  }
  await redis.multi().hdel(registryKeys.cancelled(team), taskId).zrem(registryKeys.cancelledOrder(team), taskId).exec();
  return 'claimed';
}

const TRIM_BATCH = 1_000;

/**
 * Tombstones follow the retention of finished jobs (FINISHED_TASK_RETENTION) at most: older ones, and the oldest
 * past the count, go to the team's archive (the archiver moves them sooner, by the team's own retention). Bounded
 * per call; each cancel trims a little, so the set never grows without end, even with no bridge archiving.
 */
export async function trimTombstones(redis: Redis, team: string, now: number): Promise<number> {
  const ids = await tombstonesPast(
    redis,
    team,
    now - FINISHED_TASK_RETENTION.age * 1000,
    FINISHED_TASK_RETENTION.count,
  );
  return archiveTombstones(redis, team, ids);
}

/** Tombstones cancelled before `cutoffMs`, then the oldest past `keepCount`: at most TRIM_BATCH ids. */
export async function tombstonesPast(
  redis: Redis,
  team: string,
  cutoffMs: number,
  keepCount: number,
): Promise<string[]> {
  const order = registryKeys.cancelledOrder(team);
  const [expired, total] = await Promise.all([
    redis.zrangebyscore(order, '-inf', cutoffMs, 'LIMIT', 0, TRIM_BATCH),
    redis.zcard(order),
  ]);
  const excess = Math.min(TRIM_BATCH - expired.length, total - expired.length - keepCount);
  const oldest = excess > 0 ? await redis.zrange(order, expired.length, expired.length + excess - 1) : [];
  return [...expired, ...oldest];
}

/**
 * Moves tombstones to the archive stream: per task, the tombstone is deleted and its view appended in one script,
 * and only if the tombstone was still there. So two movers at once (an archiver and a cancel's trim) archive each
 * task once, and a mover killed at any point loses none. Returns how many it moved.
 */
export async function archiveTombstones(redis: Redis, team: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const jsons = await redis.hmget(registryKeys.cancelled(team), ...ids);
  const args = ids.flatMap((id, i) => {
    const json = jsons[i];
    const view = json ? viewOf(id, json) : undefined;
    return view ? [id, JSON.stringify(view)] : [];
  });
  if (args.length === 0) return 0;
  const keys = [registryKeys.cancelled(team), registryKeys.cancelledOrder(team), registryKeys.archive(team)];
  return Number(await runScript(redis, ARCHIVE_TOMBSTONES, keys, [ARCHIVE_KEPT, ...args]));
}

const ARCHIVE_TOMBSTONES = luaScript(`
local moved = 0
for i = 2, #ARGV, 2 do
  if redis.call('HDEL', KEYS[1], ARGV[i]) == 1 then
    redis.call('ZREM', KEYS[2], ARGV[i])
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[1], '*', 'task', ARGV[i + 1])
    moved = moved + 1
  end
end
return moved
`);

/**
 * A bridge claimed the current try (ASSIGNED or PROCESSING of this attempt) and no result of that try yet: its
 * command may be running on the machine. ASSIGNED counts too: a bridge records PROCESSING only once a run has gone
 * on for a moment (task-run.ts), so one that died right after starting the command left ASSIGNED behind.
 */
function hasLiveRun(job: Job): boolean {
  const progress = progressSchema.safeParse(job.progress);
  return (
    progress.success &&
    progress.data.attempt === job.attemptsMade &&
    progress.data.result === undefined &&
    (progress.data.phase === 'PROCESSING' || progress.data.phase === 'ASSIGNED')
  );
}

export async function hasTombstone(redis: Redis, team: string, taskId: string): Promise<boolean> {
  return (await redis.hexists(registryKeys.cancelled(team), taskId)) === 1;
}

export async function readTombstone(redis: Redis, team: string, taskId: string): Promise<TaskView | undefined> {
  const json = await redis.hget(registryKeys.cancelled(team), taskId);
  return json === null ? undefined : viewOf(taskId, json);
}

/** Tombstones by cancel time, newest first, from rank `start`: the views and the last one's cancel time (ms). */
export async function tombstonesPage(
  redis: Redis,
  team: string,
  start: number,
  count: number,
): Promise<{ views: TaskView[]; count: number; lastCancelledAt: number | undefined }> {
  const flat = await redis.zrevrange(registryKeys.cancelledOrder(team), start, start + count - 1, 'WITHSCORES');
  const ids = flat.filter((_, i) => i % 2 === 0);
  if (ids.length === 0) return { views: [], count: 0, lastCancelledAt: undefined };
  const jsons = await redis.hmget(registryKeys.cancelled(team), ...ids);
  const views = ids.flatMap((id, i) => {
    const json = jsons[i];
    const view = json ? viewOf(id, json) : undefined;
    return view ? [view] : [];
  });
  return { views, count: ids.length, lastCancelledAt: Number(flat[flat.length - 1]) };
}

export async function countTombstones(redis: Redis, team: string): Promise<number> {
  return redis.zcard(registryKeys.cancelledOrder(team));
}

function viewOf(taskId: string, json: string): TaskView | undefined {
  const t = JSON.parse(json) as Tombstone;
  const snapshot: JobSnapshot = {
    id: taskId,
    state: 'failed',
    data: t.data,
    progress: undefined,
    returnvalue: undefined,
    failedReason: CANCELLED_REASON,
    attemptsStarted: t.attemptsStarted,
    timestamp: t.timestamp,
    finishedOn: t.cancelledAt,
    cancelled: true,
  };
  return toTaskView(snapshot);
}
