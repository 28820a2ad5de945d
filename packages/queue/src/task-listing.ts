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

type Source = () => Promise<Page>;

const PRIORITY_BAND = 0x100000000; // BullMQ scores a prioritized job priority * 2^32 + counter
const LANE_PRIORITIES: Record<Lane, number[]> = { critical: [1, 2], normal: [3, 4, 5] };

/** Up to `limit` tasks of `teams`, newest created first (ties: larger id first), after `before` when given. */
export async function newestTasks(
  redis: Redis,
  queues: TeamQueues,
  teams: readonly string[],
  options: NewestOptions,
): Promise<TaskView[]> {
  const pageSize = Math.min(Math.max(options.limit, 20), 500);
  const sources = teams.flatMap((team) => sourcesOf(redis, queues, team, options, pageSize));
  const kept: TaskView[] = [];
  const seen = new Set<string>(); // a task that moved state during the listing may be read twice
  const keep = (views: TaskView[]) => {
    for (const view of views) {
      if (seen.has(view.taskId)) continue;
      seen.add(view.taskId);
      if (options.status && view.status !== options.status) continue;
      if (options.before && !isBefore(view, options.before)) continue;
      kept.push(view);
    }
    kept.sort(newestFirst);
    kept.length = Math.min(kept.length, options.limit);
  };
  const more = (page: Page) =>
    !page.done && (kept.length < options.limit || page.bound >= createdMs(kept[kept.length - 1]!));
  // First pages of every source at once, then each source that may still hold newer tasks, page by page.
  const first = await Promise.all(sources.map((next) => next()));
  for (const page of first) keep(page.views);
  for (const [i, next] of sources.entries()) {
    let page = first[i]!;
    while (more(page)) {
      page = await next();
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

function isBefore(view: TaskView, cursor: ListCursor): boolean {
  const ms = createdMs(view);
  return (
    ms < cursor.createdAt || (ms === cursor.createdAt && cursor.taskId !== undefined && view.taskId < cursor.taskId)
  );
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
    let start = 0;
    out.push(async () => {
      const page = await tombstonesPage(redis, team, start, pageSize);
      start += pageSize;
      return { views: page.views, bound: page.lastCancelledAt ?? 0, done: page.count < pageSize };
    });
  }
  return out;
}

/** A list (active, wait): BullMQ pushes on the left, so the head is the newest arrival. */
function listSource(redis: Redis, queue: Queue, state: 'active' | 'waiting', pageSize: number): Source {
  let start = 0;
  return async () => {
    const ids = await redis.lrange(queue.toKey(state === 'waiting' ? 'wait' : 'active'), start, start + pageSize - 1);
    start += pageSize;
    const views = await viewsOf(queue, ids, state);
    // Active tasks are few (bridge slots) and their list order is the claim order: read them all.
    const bound = state === 'active' ? Number.POSITIVE_INFINITY : lastCreated(views);
    return { views, bound, done: ids.length < pageSize };
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
  let offset: number | undefined = before ? undefined : 0;
  return async () => {
    offset ??= await firstOffsetBefore(redis, queue, key, min, max, before!.createdAt);
    const ids = await redis.zrevrangebyscore(key, max, min, 'LIMIT', offset, pageSize);
    offset += pageSize;
    const views = await viewsOf(queue, ids, 'prioritized');
    return { views, bound: lastCreated(views), done: ids.length < pageSize };
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
  let start = 0;
  return async () => {
    const flat = await redis.zrevrange(queue.toKey(state), start, start + pageSize - 1, 'WITHSCORES');
    start += pageSize;
    const ids = flat.filter((_, i) => i % 2 === 0);
    const lastScore = flat.length > 0 ? Number(flat[flat.length - 1]) : 0;
    const delays = new Map(ids.map((id, i) => [id, timeOf(Number(flat[2 * i + 1]))]));
    const views = await viewsOf(queue, ids, state, state === 'delayed' ? delays : undefined);
    return { views, bound: timeOf(lastScore), done: ids.length < pageSize };
  };
}

async function viewsOf(
  queue: Queue,
  ids: string[],
  state: JobState,
  delayUntil?: Map<string, number>,
): Promise<TaskView[]> {
  const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
  return jobs.flatMap((job: Job | undefined) => {
    const view = job ? toTaskView(snapshotOf(job, state, delayUntil?.get(String(job.id)))) : undefined;
    return view ? [view] : [];
  });
}

function lastCreated(views: TaskView[]): number {
  const last = views[views.length - 1];
  return last ? createdMs(last) : 0;
}
