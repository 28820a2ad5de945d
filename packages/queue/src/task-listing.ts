// Listing tasks newest first by creation, across BullMQ's states, without loading a backlog. No Redis structure
// orders every task by creation, but each state's structure orders its tasks by a time that bounds creation:
//   completed, failed zsets — scored by finish time ≥ created;  delayed zset — by next-try time ≥ created;
//   cancel tombstones — by cancel time ≥ created;  prioritized zset — per priority, by insertion order;
//   active, wait lists — by the time they got there.
// Each such source is read newest end first, in pages, and merged; a source stops as soon as its bound (no later
// task in it was created after this) falls below the oldest task already kept, so a page costs about `limit` reads
// per source, whatever the backlog. Insertion order in prioritized/wait equals creation order except for a task put
// back (a retry or a hand-back), which a page may place by its re-insertion instead.
import { type JobState, LANES, type Lane, type TaskStatus, type TaskView, toTaskView } from '@rediacc/core';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { tombstonesPage } from './cancellations.js';
import type { TeamQueues } from './queues.js';
import { snapshotOf } from './task-reader.js';

/** Where a page ends: tasks created before `createdAt` (ms), or at that time with a smaller id. */
export interface ListCursor {
  createdAt: number;
  taskId?: string | undefined;
}

export interface NewestOptions {
  status?: TaskStatus | undefined;
  limit: number;
  before?: ListCursor | undefined;
}

interface Page {
  views: TaskView[];
  /** No task later in this source was created after this time (ms); Infinity when unknown. */
  bound: number;
  done: boolean;
}

/** Whether a task (by id and creation time) could still enter the listing: its job is read only then. */
type Admit = (taskId: string, createdAt: number) => boolean;

type Source = (admit: Admit) => Promise<Page>;

const PRIORITY_BAND = 0x100000000; // BullMQ scores a prioritized job priority * 2^32 + counter
const LANE_PRIORITIES: Record<Lane, number[]> = { critical: [1, 2], normal: [3, 4, 5] };
/** Pages double while a source is walked (many tasks of one millisecond settle in few round trips), up to this. */
const MAX_PAGE = 1000;

/** Up to `limit` tasks of `teams`, newest created first (ties: larger id first), after `before` when given. */
export async function newestTasks(
  redis: Redis,
  queues: TeamQueues,
  teams: readonly string[],
  options: NewestOptions,
): Promise<TaskView[]> {
  // A page of `limit` per source usually settles it; with a status filter, pages hold other statuses too.
  const pageSize = Math.min(options.status ? Math.max(options.limit, 20) : options.limit, MAX_PAGE);
  const sources = teams.flatMap((team) => sourcesOf(redis, queues, team, options, pageSize));
  const kept: TaskView[] = [];
  const seen = new Set<string>(); // a task that moved state during the listing may be read twice
  const admit: Admit = (taskId, createdAt) => {
    if (seen.has(taskId)) return false;
    if (options.before && !isBefore(createdAt, taskId, options.before)) return false;
    const last = kept[kept.length - 1];
    return last === undefined || kept.length < options.limit || newer(createdAt, taskId, last);
  };
  const keep = (views: TaskView[]) => {
    for (const view of views) {
      if (seen.has(view.taskId)) continue;
      seen.add(view.taskId);
      if (options.status && view.status !== options.status) continue;
      if (options.before && !isBefore(createdMs(view), view.taskId, options.before)) continue;
      kept.push(view);
    }
    kept.sort(newestFirst);
    kept.length = Math.min(kept.length, options.limit);
  };
  const more = (page: Page) =>
    !page.done && (kept.length < options.limit || page.bound >= createdMs(kept[kept.length - 1]!));
  // First pages of every source at once, then each source that may still hold newer tasks, page by page.
  const first = await Promise.all(sources.map((next) => next(admit)));
  for (const page of first) keep(page.views);
  for (const [i, next] of sources.entries()) {
    let page = first[i]!;
    while (more(page)) {
      page = await next(admit);
      keep(page.views);
    }
  }
  return kept;
}

export function createdMs(view: TaskView): number {
  const ms = Date.parse(view.createdAt ?? '');
  return Number.isNaN(ms) ? 0 : ms;
}

/** Newest created first; equal times by id, larger first, so every task has one place and cursors are exact. */
export function newestFirst(a: TaskView, b: TaskView): number {
  return createdMs(b) - createdMs(a) || (a.taskId < b.taskId ? 1 : a.taskId > b.taskId ? -1 : 0);
}

function isBefore(ms: number, taskId: string, cursor: ListCursor): boolean {
  return ms < cursor.createdAt || (ms === cursor.createdAt && cursor.taskId !== undefined && taskId < cursor.taskId);
}

/** Whether a task created at `ms` with id `taskId` sorts ahead of `view`. */
function newer(ms: number, taskId: string, view: TaskView): boolean {
  const other = createdMs(view);
  return ms > other || (ms === other && taskId > view.taskId);
}

/** Page sizes of one source: `first`, then doubling up to MAX_PAGE. */
function pager(first: number): () => { start: number; size: number } {
  let start = 0;
  let size = first;
  return () => {
    const page = { start, size };
    start += size;
    size = Math.min(size * 2, Math.max(first, MAX_PAGE));
    return page;
  };
}

function sourcesOf(redis: Redis, queues: TeamQueues, team: string, options: NewestOptions, pageSize: number): Source[] {
  const { status, before } = options;
  const wants = (...statuses: TaskStatus[]) => status === undefined || statuses.includes(status);
  const out: Source[] = [];
  for (const lane of LANES) {
    const queue = queues.get(team, lane);
    if (wants('ASSIGNED', 'PROCESSING')) out.push(listSource(redis, queue, 'active', pageSize));
    if (wants('PENDING')) {
      out.push(listSource(redis, queue, 'waiting', pageSize));
      for (const p of LANE_PRIORITIES[lane]) out.push(prioritySource(redis, queue, p, pageSize, before));
      out.push(zsetSource(redis, queue, 'delayed', pageSize, (score) => Math.floor(score / 0x1000)));
    }
    if (wants('COMPLETED')) out.push(zsetSource(redis, queue, 'completed', pageSize, (score) => score));
    if (wants('FAILED', 'CANCELLED')) out.push(zsetSource(redis, queue, 'failed', pageSize, (score) => score));
  }
  if (wants('CANCELLED')) {
    const next = pager(pageSize);
    out.push(async () => {
      const { start, size } = next();
      const page = await tombstonesPage(redis, team, start, size);
      return { views: page.views, bound: page.lastCancelledAt ?? 0, done: page.count < size };
    });
  }
  return out;
}

/** A list (active, wait): BullMQ pushes on the left, so the head is the newest arrival. */
function listSource(redis: Redis, queue: Queue, state: 'active' | 'waiting', pageSize: number): Source {
  const next = pager(pageSize);
  return async (admit) => {
    const { start, size } = next();
    const ids = await redis.lrange(queue.toKey(state === 'waiting' ? 'wait' : 'active'), start, start + size - 1);
    const read = await readJobs(redis, queue, ids, state, admit);
    // Active tasks are few (bridge slots) and their list order is the claim order: read them all.
    const bound = state === 'active' ? Number.POSITIVE_INFINITY : read.lastCreated;
    return { views: read.views, bound, done: ids.length < size };
  };
}

/**
 * One priority of the prioritized zset, newest insertion first. With a cursor, the first page starts at the first
 * task created before it, found by bisection (insertion order is creation order): a page far back costs about
 * 2·log2(backlog) round trips more, not a walk past every newer pending task.
 */
function prioritySource(
  redis: Redis,
  queue: Queue,
  priority: number,
  pageSize: number,
  before: ListCursor | undefined,
): Source {
  const key = queue.toKey('prioritized');
  const max = (priority + 1) * PRIORITY_BAND - 1;
  const min = priority * PRIORITY_BAND;
  const next = pager(pageSize);
  let skip: number | undefined = before ? undefined : 0;
  return async (admit) => {
    skip ??= await firstOffsetBefore(redis, queue, key, min, max, before!.createdAt);
    const { start, size } = next();
    const ids = await redis.zrevrangebyscore(key, max, min, 'LIMIT', skip + start, size);
    const read = await readJobs(redis, queue, ids, 'prioritized', admit);
    return { views: read.views, bound: read.lastCreated, done: ids.length < size };
  };
}

/** The offset (newest first) in one priority of the first task created at or before `createdAt`. */
async function firstOffsetBefore(
  redis: Redis,
  queue: Queue,
  key: string,
  min: number,
  max: number,
  createdAt: number,
): Promise<number> {
  let lo = 0;
  let hi = await redis.zcount(key, min, max);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const [id] = await redis.zrevrangebyscore(key, max, min, 'LIMIT', mid, 1);
    const timestamp = id === undefined ? null : await redis.hget(queue.toKey(id), 'timestamp');
    // A job gone meanwhile (claimed): treat as newer, so nothing older is skipped.
    if (timestamp !== null && Number(timestamp) <= createdAt) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A zset scored by a time at or after creation, highest score first. */
function zsetSource(
  redis: Redis,
  queue: Queue,
  state: 'delayed' | 'completed' | 'failed',
  pageSize: number,
  timeOf: (score: number) => number,
): Source {
  const next = pager(pageSize);
  return async (admit) => {
    const { start, size } = next();
    const flat = await redis.zrevrange(queue.toKey(state), start, start + size - 1, 'WITHSCORES');
    const ids = flat.filter((_, i) => i % 2 === 0);
    const lastScore = flat.length > 0 ? Number(flat[flat.length - 1]) : 0;
    const delays = new Map(ids.map((id, i) => [id, timeOf(Number(flat[2 * i + 1]))]));
    const read = await readJobs(redis, queue, ids, state, admit, state === 'delayed' ? delays : undefined);
    return { views: read.views, bound: timeOf(lastScore), done: ids.length < size };
  };
}

/**
 * The jobs `ids` as views, in two steps: every job's creation time (one pipelined HGET each, small replies), then
 * whole jobs only for those `admit` lets in. `lastCreated`: the creation time of the last id (0 if unknown).
 */
async function readJobs(
  redis: Redis,
  queue: Queue,
  ids: string[],
  state: JobState,
  admit: Admit,
  delayUntil?: Map<string, number>,
): Promise<{ views: TaskView[]; lastCreated: number }> {
  if (ids.length === 0) return { views: [], lastCreated: 0 };
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hget(queue.toKey(id), 'timestamp');
  const replies = (await pipeline.exec()) ?? [];
  const created = replies.map(([error, value]) => (error || value === null ? undefined : Number(value)));
  const wanted = ids.filter((id, i) => created[i] !== undefined && admit(id, created[i]!));
  const jobs = await Promise.all(wanted.map((id) => queue.getJob(id)));
  const views = jobs.flatMap((job: Job | undefined) => {
    const view = job ? toTaskView(snapshotOf(job, state, delayUntil?.get(String(job.id)))) : undefined;
    return view ? [view] : [];
  });
  return { views, lastCreated: created[created.length - 1] ?? 0 };
}
