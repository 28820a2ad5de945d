// The tasks of one machine, newest first, at any backlog: each lane keeps a zset per machine (`<lane queue>:
// by-machine:<machine>`, task id → creation time in ms, BullMQ's job.timestamp), written when a task is added. It
// lives under the lane's queue prefix, so the ACL patterns that let a user add tasks let it index them (BullMQ's
// obliterate does not remove it: it deletes only the keys BullMQ itself writes). A task BullMQ removed since
// (retention) is dropped from the index when a read meets it, so the index never answers with a task that is gone.
import type { TaskView } from '@rediacc/core';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TeamQueues } from './queues.js';
import { addCommands, type RedisCommand } from './redis-command.js';
import { readTask } from './task-reader.js';

/** How long an index entry without its job is taken for a create still on its way rather than a removed task. */
const LATE_ADD_MS = 60_000;

export function machineIndexKey(queue: Queue, machine: string): string {
  return queue.toKey(`by-machine:${machine}`);
}

/** Records added jobs (their name is the machine) in their lane's machine index; one round trip. */
export async function indexByMachine(redis: Redis, queue: Queue, jobs: readonly Job[]): Promise<void> {
  if (jobs.length === 0) return;
  const entries = jobs.map((job) => ({ machine: job.name, taskId: String(job.id), createdAt: job.timestamp }));
  const replies = (await addCommands(redis.pipeline(), machineIndexCommands(queue, entries)).exec()) ?? [];
  const failed = replies.find(([error]) => error)?.[0];
  if (failed) throw failed;
}

export interface MachineIndexEntry {
  machine: string;
  taskId: string;
  /** The job's creation time (BullMQ's job.timestamp, which the add may be given: JobsOptions.timestamp). */
  createdAt: number;
}

/**
 * The index entries of tasks in one lane, one ZADD per machine, for the caller to send with its other writes.
 * Sent alongside the add rather than after it, an entry may outlive an add that failed; readers drop such entries
 * (tasksOfMachine), and the creator removes them when it can (machineUnindexCommands).
 */
export function machineIndexCommands(queue: Queue, entries: readonly MachineIndexEntry[]): RedisCommand[] {
  const byMachine = new Map<string, (string | number)[]>();
  for (const entry of entries) {
    const args = byMachine.get(entry.machine) ?? [];
    args.push(entry.createdAt, entry.taskId);
    byMachine.set(entry.machine, args);
  }
  return [...byMachine].map(([machine, args]) => ['zadd', machineIndexKey(queue, machine), ...args]);
}

/** Removes index entries (of tasks whose add failed or was undone): one ZREM per machine. */
export function machineUnindexCommands(
  queue: Queue,
  entries: readonly Omit<MachineIndexEntry, 'createdAt'>[],
): RedisCommand[] {
  const byMachine = new Map<string, string[]>();
  for (const entry of entries) {
    const taskIds = byMachine.get(entry.machine) ?? [];
    taskIds.push(entry.taskId);
    byMachine.set(entry.machine, taskIds);
  }
  return [...byMachine].map(([machine, taskIds]) => ['zrem', machineIndexKey(queue, machine), ...taskIds]);
}

export interface MachineCursor {
  createdAt: number;
  taskId?: string | undefined;
}

/** Up to `limit` tasks of `machine` in `team`, newest created first (ties: larger id first), after `before`. */
export async function tasksOfMachine(
  redis: Redis,
  queues: TeamQueues,
  team: string,
  machine: string,
  options: { limit: number; before?: MachineCursor | undefined },
): Promise<TaskView[]> {
  const { limit, before } = options;
  // A little more than asked from each lane: entries on the cursor's own millisecond are skipped.
  const want = limit + 20;
  const max = before === undefined ? '+inf' : String(before.createdAt);
  const candidates: { queue: Queue; key: string; taskId: string; createdAt: number }[] = [];
  for (const { queue } of queues.lanes(team)) {
    const key = machineIndexKey(queue, machine);
    const page = await redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, want);
    for (let i = 0; i < page.length; i += 2) {
      const taskId = page[i]!;
      const createdAt = Number(page[i + 1]);
      if (before === undefined || isBefore(createdAt, taskId, before))
        candidates.push({ queue, key, taskId, createdAt });
    }
  }
  candidates.sort((a, b) => b.createdAt - a.createdAt || (a.taskId < b.taskId ? 1 : -1));
  const views: TaskView[] = [];
  let removed = 0;
  let last: MachineCursor | undefined;
  for (const candidate of candidates) {
    if (views.length >= limit) break;
    last = { createdAt: candidate.createdAt, taskId: candidate.taskId };
    const view = await readTask(candidate.queue, redis, candidate.taskId);
    if (view) views.push(view);
    else {
      // A viewer may not write: the entry stays for a writer's read to drop. A young entry's job may only be late
      // (its add is sent beside the entry, not before it): it stays until it is old enough to be surely gone.
      if (Date.now() - candidate.createdAt > LATE_ADD_MS) {
        await redis.zrem(candidate.key, candidate.taskId).catch(() => 0);
      }
      removed++;
    }
  }
  // Tasks removed by retention left the page short: go on past the last one read.
  if (removed > 0 && views.length < limit && last !== undefined) {
    views.push(...(await tasksOfMachine(redis, queues, team, machine, { limit: limit - views.length, before: last })));
  }
  return views;
}

function isBefore(createdAt: number, taskId: string, cursor: MachineCursor): boolean {
  if (createdAt !== cursor.createdAt) return createdAt < cursor.createdAt;
  return cursor.taskId !== undefined && taskId < cursor.taskId;
}
