// The archive of finished tasks: a bridge's archiver appends COMPLETED and FAILED tasks past their team's retention to
// the team's archive stream, then removes them from the live queue (and moves cancelled tasks' tombstones there). Two steps that cannot be one transaction (the
// removal is BullMQ's script), so the first also marks each task (hash archive:marks, in the same MULTI as the
// append) and the mark is cleared after the removal. An archiver killed in between leaves marks: the next pass
// first finishes those removals without appending again. So nothing is removed before it is archived, and nothing
// is archived twice. Reads of the live queue (list queue, the console) never touch the archive.
import {
  ARCHIVE_KEPT,
  DEFAULT_RETENTION,
  type RetentionPolicy,
  registryKeys,
  retentionPolicySchema,
  type TaskView,
} from '@rediacc/core';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { archiveTombstones, tombstonesPage, tombstonesPast } from './cancellations.js';
import type { TeamQueues } from './queues.js';
import { readTask } from './task-reader.js';

const FINISHED = ['completed', 'failed'] as const;
/** Tasks archived per step (one MULTI, then their removals). */
const BATCH = 200;

export async function getRetention(redis: Redis, team: string): Promise<RetentionPolicy> {
  const raw = await redis.get(registryKeys.retention(team));
  return raw === null ? DEFAULT_RETENTION : retentionPolicySchema.parse(JSON.parse(raw));
}

export async function setRetention(redis: Redis, team: string, policy: RetentionPolicy): Promise<void> {
  await redis.set(registryKeys.retention(team), JSON.stringify(retentionPolicySchema.parse(policy)));
}

export interface ArchivePass {
  archived: number;
  /** Removals finished for tasks a killed archiver had archived already (not appended again). */
  recovered: number;
}

/**
 * One archiver pass over a team: first the removals a killed pass left, then every finished task past the retention,
 * a batch at a time. `afterAppend` runs between the append and the removals (a test stalls there to be killed).
 */
export async function archiveTeam(
  redis: Redis,
  queues: TeamQueues,
  team: string,
  options: { now: number; afterAppend?: () => Promise<void> },
): Promise<ArchivePass> {
  const recovered = await finishMarkedRemovals(redis, queues, team);
  const policy = await getRetention(redis, team);
  let archived = 0;
  for (const { queue } of queues.lanes(team)) {
    for (const state of FINISHED) {
      for (;;) {
        const ids = await pastRetention(redis, queue, state, policy, options.now);
        if (ids.length === 0) break;
        const views = await appendToArchive(redis, queue, team, ids);
        await options.afterAppend?.();
        await removeArchived(redis, queue, team, views);
        archived += views.length;
        if (ids.length < BATCH) break;
      }
    }
  }
  // Tasks cancelled before they ran (tombstones): one script a task moves each to the archive, nothing to recover.
  for (;;) {
    const ids = await tombstonesPast(redis, team, options.now - policy.keepForMs, policy.keepCount);
    if (ids.length === 0) break;
    const moved = await archiveTombstones(redis, team, ids);
    archived += moved;
    if (moved < ids.length) break; // moved by another meanwhile, or unreadable: the next pass looks again
  }
  return { archived, recovered };
}

/** Ids in `state` older than the policy's age, then the oldest beyond its count: at most BATCH. */
async function pastRetention(
  redis: Redis,
  queue: Queue,
  state: (typeof FINISHED)[number],
  policy: RetentionPolicy,
  now: number,
): Promise<string[]> {
  const key = queue.toKey(state);
  const [expired, total] = await Promise.all([
    redis.zrangebyscore(key, '-inf', now - policy.keepForMs, 'LIMIT', 0, BATCH),
    redis.zcard(key),
  ]);
  const excess = Math.min(BATCH - expired.length, total - expired.length - policy.keepCount);
  // The set is ordered by finish time: the oldest past the count follow the expired ones.
  const oldest = excess > 0 ? await redis.zrange(key, expired.length, expired.length + excess - 1) : [];
  return [...expired, ...oldest];
}

/** Appends the tasks' views to the archive and marks them, in one MULTI: both or neither. */
async function appendToArchive(redis: Redis, queue: Queue, team: string, ids: string[]): Promise<ArchivedTask[]> {
  const read = await Promise.all(ids.map((id) => readTask(queue, redis, id)));
  const views = read.filter((v): v is TaskView => v !== undefined);
  if (views.length === 0) return [];
  const multi = redis.multi();
  for (const view of views) {
    multi.xadd(registryKeys.archive(team), 'MAXLEN', '~', ARCHIVE_KEPT, '*', 'task', JSON.stringify(view));
  }
  multi.hset(registryKeys.archiveMarks(team), ...views.flatMap((v) => [v.taskId, String(createdMs(v))]));
  await multi.exec();
  return views.map((v) => ({ taskId: v.taskId, createdMs: createdMs(v) }));
}

interface ArchivedTask {
  taskId: string;
  createdMs: number;
}

/** Removes archived tasks from the queue, then their marks. */
async function removeArchived(redis: Redis, queue: Queue, team: string, tasks: ArchivedTask[]): Promise<void> {
  if (tasks.length === 0) return;
  await Promise.all(tasks.map((t) => queue.remove(t.taskId)));
  await redis.hdel(registryKeys.archiveMarks(team), ...tasks.map((t) => t.taskId));
}

/**
 * Marks a killed pass left: their tasks are in the archive already. Remove each from the queue unless it is gone,
 * or the job there now is another one of the same id (created again since: its createdAt differs).
 */
async function finishMarkedRemovals(redis: Redis, queues: TeamQueues, team: string): Promise<number> {
  const marks = await redis.hgetall(registryKeys.archiveMarks(team));
  const ids = Object.keys(marks);
  for (const id of ids) {
    for (const { queue } of queues.lanes(team)) {
      const job = await queue.getJob(id);
      if (job && String(job.timestamp) === marks[id]) await queue.remove(id);
    }
  }
  if (ids.length > 0) await redis.hdel(registryKeys.archiveMarks(team), ...ids);
  return ids.length;
}

function createdMs(view: TaskView): number {
  return view.createdAt === null ? 0 : Date.parse(view.createdAt);
}

/**
 * Every finished task of a team since `sinceMs` (by completedAt), archived or still live (and those cancelled
 * before they ran, from their tombstones), one at a time and in
 * pages (memory stays bounded by a page, plus the ids of the live tasks read). Archived first, then live, then
 * what was archived while this ran (skipping those already given as live): none is missed, none given twice.
 */
export async function* exportFinished(
  redis: Redis,
  queues: TeamQueues,
  team: string,
  sinceMs: number,
): AsyncGenerator<TaskView> {
  const key = registryKeys.archive(team);
  const [last] = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
  const end = last?.[0];
  // An entry's id is when it was archived, never before its task finished: start from `sinceMs`.
  if (end !== undefined) yield* archivedBetween(redis, key, String(sinceMs), end, sinceMs, new Set());
  const live = new Set<string>();
  for (const { queue } of queues.lanes(team)) {
    for (const state of FINISHED) {
      for (let offset = 0; ; offset += BATCH) {
        const ids = await redis.zrangebyscore(queue.toKey(state), sinceMs, '+inf', 'LIMIT', offset, BATCH);
        const marked = ids.length === 0 ? [] : await redis.hmget(registryKeys.archiveMarks(team), ...ids);
        for (const [i, id] of ids.entries()) {
          if (marked[i] !== null) continue; // archived: given from the archive
          const view = await readTask(queue, redis, id);
          if (!view) continue;
          live.add(id);
          yield view;
        }
        if (ids.length < BATCH) break;
      }
    }
  }
  // A tombstone given here and archived meanwhile is skipped below like a live task.
  for await (const view of cancelledSince(redis, team, sinceMs)) {
    live.add(view.taskId);
    yield view;
  }
  yield* archivedBetween(redis, key, end === undefined ? '-' : `(${end}`, '+', sinceMs, live);
}

/** Tasks cancelled before they ran (tombstones, kept by cancellations.ts), newest first, cancelled since `sinceMs`. */
async function* cancelledSince(redis: Redis, team: string, sinceMs: number): AsyncGenerator<TaskView> {
  for (let start = 0; ; start += BATCH) {
    const page = await tombstonesPage(redis, team, start, BATCH);
    for (const view of page.views) {
      if (view.completedAt !== null && Date.parse(view.completedAt) < sinceMs) return;
      yield view;
    }
    if (page.count < BATCH || (page.lastCancelledAt !== undefined && page.lastCancelledAt < sinceMs)) return;
  }
}

async function* archivedBetween(
  redis: Redis,
  key: string,
  from: string,
  to: string,
  sinceMs: number,
  skip: ReadonlySet<string>,
): AsyncGenerator<TaskView> {
  let start = from;
  for (;;) {
    const page = await redis.xrange(key, start, to, 'COUNT', BATCH);
    for (const [, fields] of page) {
      const view = JSON.parse(fields[1] ?? 'null') as TaskView | null;
      if (!view || skip.has(view.taskId)) continue;
      if (view.completedAt !== null && Date.parse(view.completedAt) < sinceMs) continue;
      yield view;
    }
    if (page.length < BATCH) return;
    start = `(${page[page.length - 1]![0]}`;
  }
}
