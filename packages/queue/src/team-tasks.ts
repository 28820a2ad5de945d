// Reads that span a team's lanes: where a task id lives, the task itself, listings and counts. Every
// caller that reads tasks goes through here, so no read forgets a lane. Costs stay flat at any backlog:
// EXISTS per lane, paginated listings, and counts from BullMQ's per-state and per-priority counters.
import { LANES, type Lane, type TaskView, taskKey } from '@rediacc/core';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { hasTombstone } from './cancellations.js';
import type { TeamQueues } from './queues.js';
import { readTask } from './task-reader.js';

/** Where a task id lives: its team, and the lane whose queue holds its job (none for a cancel tombstone). */
export interface TaskLocation {
  team: string;
  lane: Lane | undefined;
}

/** Finds `taskId` among `teams`: one pipelined EXISTS per lane plus the tombstone check, teams in parallel. */
export async function locateTask(
  redis: Redis,
  teams: readonly string[],
  taskId: string,
): Promise<TaskLocation | undefined> {
  const found = await Promise.all(
    teams.map(async (team): Promise<TaskLocation | undefined> => {
      const lane = await laneHolding(redis, team, taskId);
      if (lane) return { team, lane };
      return (await hasTombstone(redis, team, taskId)) ? { team, lane: undefined } : undefined;
    }),
  );
  return found.find((location) => location !== undefined);
}

/** The lane whose queue holds a job `taskId` in `team`, if any. */
export async function laneHolding(redis: Redis, team: string, taskId: string): Promise<Lane | undefined> {
  const replies = await Promise.all(LANES.map((lane) => redis.exists(taskKey(team, lane, taskId))));
  return LANES[replies.indexOf(1)];
}

/** The job `taskId` from whichever lane of `team` holds it. */
export async function findJob(queues: TeamQueues, team: string, taskId: string): Promise<Job | undefined> {
  const jobs = await Promise.all(queues.lanes(team).map(({ queue }) => queue.getJob(taskId)));
  return jobs.find((job) => job !== undefined);
}

/** A task read from the lane that holds it (located first when `lane` is not known). */
export async function readTeamTask(
  queues: TeamQueues,
  redis: Redis,
  team: string,
  taskId: string,
  lane?: Lane,
): Promise<TaskView | undefined> {
  const where = lane ?? (await laneHolding(redis, team, taskId));
  return where ? readTask(queues.get(team, where), redis, taskId) : undefined;
}

export interface TaskCounts {
  pending: number;
  active: number;
  completed: number;
  failed: number;
  pendingByPriority: Record<1 | 2 | 3 | 4 | 5, number>;
}

/** Task counts of a team summed over its lanes. */
export async function countTeamTasks(queues: TeamQueues, team: string): Promise<TaskCounts> {
  const perLane = await Promise.all(
    queues
      .lanes(team)
      .map(({ queue }) =>
        Promise.all([
          queue.getJobCounts('prioritized', 'waiting', 'delayed', 'waiting-children', 'active', 'completed', 'failed'),
          queue.getCountsPerPriority([1, 2, 3, 4, 5]),
        ]),
      ),
  );
  const sum = (read: (counts: Record<string, number>, perPriority: Record<string, number>) => number) =>
    perLane.reduce((total, [counts, perPriority]) => total + read(counts, perPriority), 0);
  const n = (k: string) => sum((counts) => counts[k] ?? 0);
  const p = (priority: number) => sum((_, perPriority) => perPriority[String(priority)] ?? 0);
  return {
    pending: n('prioritized') + n('waiting') + n('delayed') + n('waiting-children'),
    active: n('active'),
    completed: n('completed'),
    failed: n('failed'),
    pendingByPriority: { 1: p(1), 2: p(2), 3: p(3), 4: p(4), 5: p(5) },
  };
}
