// The task operations of the SDK: create, createMany, inspect, list, wait, counts.
import { randomUUID } from 'node:crypto';
import {
  formatIssues,
  isTerminal,
  parseInput,
  RdcError,
  TASK_STATUSES,
  type TaskSpec,
  type TaskSpecInput,
  type TaskStatus,
  type TaskView,
  taskSpecSchema,
  teamNameSchema,
} from '@rediacc/core';
import {
  countTombstones,
  hasTombstone,
  listTasks,
  listTeams,
  listTombstones,
  readTask,
  readTombstone,
  type TeamQueues,
  taskKey,
} from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RegistryCache } from './machine-cache.js';
import { type CancelOptions, type CancelResult, cancelOptionsSchema, cancelTask } from './task-cancel.js';
import { sameTask, type TaskEntry, taskEntry } from './task-factory.js';
import { parseTaskId } from './task-id.js';
import type { TaskWaiter } from './task-waiter.js';

export interface CreatedTask {
  taskId: string;
  team: string;
  machine: string;
  priority: number;
  /** false when a task with this taskId already existed (idempotent create). */
  created: boolean;
}

export const listOptionsSchema = z
  .object({
    team: teamNameSchema.optional(),
    status: z.enum(TASK_STATUSES, { error: `status must be one of ${TASK_STATUSES.join(', ')}` }).optional(),
    limit: z.number().int().min(1, 'limit must be at least 1').max(10_000, 'limit must be at most 10000').default(50),
  })
  .strict();
export type ListOptions = z.input<typeof listOptionsSchema>;

const STATUS_RANK: Record<TaskStatus, number> = {
  PROCESSING: 0,
  ASSIGNED: 1,
  PENDING: 2,
  FAILED: 3,
  CANCELLED: 3,
  COMPLETED: 3,
};

export class Tasks {
  constructor(
    private readonly redis: Redis,
    private readonly queues: TeamQueues,
    private readonly registry: RegistryCache,
    private readonly waiter: TaskWaiter,
  ) {}

  /** Enqueues one task. Unknown team or machine: throws and enqueues nothing. */
  async create(input: TaskSpecInput): Promise<CreatedTask> {
    const spec = parseInput(taskSpecSchema, input, 'task spec');
    const entry = await this.entryFor(spec);
    const queue = this.queues.get(spec.team);
    if (spec.taskId) {
      const existing = await queue.getJob(spec.taskId);
      if (existing) return this.duplicate(existing.data, entry);
    }
    await queue.add(entry.name, entry.data, entry.opts);
    return created(entry, true);
  }

  /** Enqueues all specs or none: every spec is validated and every machine checked before anything is added. */
  async createMany(inputs: readonly TaskSpecInput[]): Promise<CreatedTask[]> {
    if (!Array.isArray(inputs)) throw new RdcError('RDC_INVALID_INPUT', 'createMany takes an array of task specs');
    const specs = inputs.map((input, i) => {
      const result = taskSpecSchema.safeParse(input);
      if (!result.success) {
        throw new RdcError('RDC_INVALID_INPUT', `invalid task spec [${i}]: ${formatIssues(result.error.issues)}`);
      }
      return result.data;
    });
    const entries = await Promise.all(specs.map((spec) => this.entryFor(spec)));
    const ids = new Set<string>();
    for (const entry of entries) {
      if (ids.has(entry.opts.jobId)) {
        throw new RdcError('RDC_TASK_ID_CONFLICT', `taskId ${entry.opts.jobId} appears twice in one createMany`);
      }
      ids.add(entry.opts.jobId);
    }
    const results = new Map<string, CreatedTask>();
    await this.settleExisting(
      entries.filter((_, i) => specs[i]?.taskId !== undefined),
      results,
    );
    const fresh = entries.filter((e) => !results.has(e.opts.jobId));
    const added: { team: string; ids: string[] }[] = [];
    try {
      for (const [team, group] of groupByTeam(fresh)) {
        const jobs = await this.queues.get(team).addBulk(group);
        added.push({ team, ids: group.map((e) => e.opts.jobId) });
        const missing = group.filter((e, i) => jobs[i]?.id !== e.opts.jobId);
        if (missing.length > 0) throw new RdcError('RDC_INTERNAL', `addBulk did not store ${missing.length} tasks`);
      }
    } catch (error) {
      // addBulk is a pipeline, not a transaction: undo what went in so createMany stays all-or-nothing.
      await Promise.allSettled(added.flatMap(({ team, ids }) => ids.map((id) => this.queues.get(team).remove(id))));
      throw error;
    }
    for (const entry of fresh) results.set(entry.opts.jobId, created(entry, true));
    return entries.map((e) => results.get(e.opts.jobId)!);
  }

  async inspect(taskId: string): Promise<TaskView> {
    const id = parseTaskId(taskId);
    const team = await this.locate(id);
    const view = team ? await this.view(team, id) : undefined;
    if (!view) throw new RdcError('RDC_TASK_UNKNOWN', `no task with id ${id}`);
    return view;
  }

  /**
   * Cancels tasks, each on its own: a PENDING task becomes CANCELLED and never runs; a running one is killed on
   * its machine by the bridge holding it (a broadcast every bridge hears) and becomes CANCELLED; a finished one
   * cannot be cancelled. Waits up to `waitMs` (default 10 s) for running tasks to stop.
   */
  async cancel(taskIds: readonly string[], options: CancelOptions = {}): Promise<CancelResult[]> {
    if (!Array.isArray(taskIds)) throw new RdcError('RDC_INVALID_INPUT', 'cancel takes an array of task ids');
    const ids = taskIds.map(parseTaskId);
    const { waitMs } = parseInput(cancelOptionsSchema, options, 'cancel options');
    return Promise.all(
      ids.map(async (taskId) => {
        const team = await this.locate(taskId);
        if (!team) return { taskId, outcome: 'unknown', status: null } satisfies CancelResult;
        return cancelTask(
          {
            redis: this.redis,
            queue: this.queues.get(team),
            view: () => this.view(team, taskId),
            wait: (ms) => this.waiter.wait(team, taskId, ms, () => this.finished(team, taskId)),
          },
          team,
          taskId,
          waitMs,
        );
      }),
    );
  }

  private async finished(team: string, taskId: string): Promise<TaskView | undefined> {
    const view = await this.view(team, taskId);
    if (!view) throw new RdcError('RDC_TASK_UNKNOWN', `task ${taskId} was removed while waiting for it`);
    return isTerminal(view.status) ? view : undefined;
  }

  /** A task from its team's queue, or its tombstone when it was cancelled before running. */
  private async view(team: string, taskId: string): Promise<TaskView | undefined> {
    return (await readTask(this.queues.get(team), this.redis, taskId)) ?? readTombstone(this.redis, team, taskId);
  }

  /** Tasks across teams (or one), optionally filtered by status: running first, then pending by priority, then finished newest first. */
  async list(input: ListOptions = {}): Promise<TaskView[]> {
    const options = parseInput(listOptionsSchema, input, 'list options');
    const teams = options.team ? [options.team] : (await listTeams(this.redis)).map((t) => t.name);
    const withTombstones = options.status === undefined || options.status === 'CANCELLED';
    const perTeam = await Promise.all(
      teams.flatMap((team) => [
        listTasks(this.queues.get(team), { status: options.status, limit: options.limit }),
        withTombstones ? listTombstones(this.redis, team, options.limit) : Promise.resolve([]),
      ]),
    );
    return perTeam.flat().sort(compareForListing).slice(0, options.limit);
  }

  /** Resolves with the task once it is COMPLETED, FAILED or CANCELLED. */
  async wait(taskId: string, options: { timeoutMs?: number } = {}): Promise<TaskView> {
    const id = parseTaskId(taskId);
    const team = await this.locate(id);
    if (!team) throw new RdcError('RDC_TASK_UNKNOWN', `no task with id ${id}`);
    return this.waiter.wait(team, id, options.timeoutMs, () => this.finished(team, id));
  }

  /** Queue depth of a team: tasks per status group and pending tasks per priority. Cheap at any backlog. */
  async counts(team: string): Promise<QueueCounts> {
    parseInput(teamNameSchema, team, 'team name');
    await this.registry.team(team);
    const queue = this.queues.get(team);
    const [counts, perPriority, cancelled] = await Promise.all([
      queue.getJobCounts('prioritized', 'waiting', 'delayed', 'waiting-children', 'active', 'completed', 'failed'),
      queue.getCountsPerPriority([1, 2, 3, 4, 5]),
      countTombstones(this.redis, team),
    ]);
    const n = (k: string) => counts[k] ?? 0;
    return {
      team,
      pending: n('prioritized') + n('waiting') + n('delayed') + n('waiting-children'),
      active: n('active'),
      completed: n('completed'),
      failed: n('failed'),
      cancelled,
      pendingByPriority: {
        1: perPriority['1'] ?? 0,
        2: perPriority['2'] ?? 0,
        3: perPriority['3'] ?? 0,
        4: perPriority['4'] ?? 0,
        5: perPriority['5'] ?? 0,
      },
    };
  }

  private async entryFor(spec: TaskSpec): Promise<TaskEntry> {
    await this.registry.machine(spec.team, spec.machine);
    const team = await this.registry.team(spec.team);
    return taskEntry(spec, spec.taskId ?? randomUUID(), team);
  }

  private duplicate(stored: unknown, entry: TaskEntry): CreatedTask {
    if (!sameTask(stored, entry)) {
      throw new RdcError(
        'RDC_TASK_ID_CONFLICT',
        `taskId ${entry.opts.jobId} already names a different task (other team, machine, command or policy)`,
      );
    }
    return created(entry, false);
  }

  private async settleExisting(entries: TaskEntry[], results: Map<string, CreatedTask>): Promise<void> {
    const existing = await Promise.all(entries.map((e) => this.queues.get(e.data.team).getJob(e.opts.jobId)));
    entries.forEach((entry, i) => {
      const job = existing[i];
      if (job) results.set(entry.opts.jobId, this.duplicate(job.data, entry));
    });
  }

  /** Which team's queue holds `taskId`: one EXISTS per team, in parallel. */
  private async locate(taskId: string): Promise<string | undefined> {
    const teams = (await listTeams(this.redis)).map((t) => t.name);
    const found = await Promise.all(
      teams.map(
        async (team) =>
          (await this.redis.exists(taskKey(team, taskId))) === 1 || hasTombstone(this.redis, team, taskId),
      ),
    );
    return teams[found.indexOf(true)];
  }
}

export interface QueueCounts {
  team: string;
  pending: number;
  active: number;
  completed: number;
  failed: number;
  /** Cancelled before running (tasks cancelled while running count as failed in BullMQ). */
  cancelled: number;
  pendingByPriority: Record<1 | 2 | 3 | 4 | 5, number>;
}

function created(entry: TaskEntry, isNew: boolean): CreatedTask {
  return {
    taskId: entry.opts.jobId,
    team: entry.data.team,
    machine: entry.data.machine,
    priority: entry.data.priority,
    created: isNew,
  };
}

function groupByTeam(entries: TaskEntry[]): Map<string, TaskEntry[]> {
  const groups = new Map<string, TaskEntry[]>();
  for (const entry of entries) {
    const group = groups.get(entry.data.team) ?? [];
    group.push(entry);
    groups.set(entry.data.team, group);
  }
  return groups;
}

function compareForListing(a: TaskView, b: TaskView): number {
  const rank = STATUS_RANK[a.status] - STATUS_RANK[b.status];
  if (rank !== 0) return rank;
  // ISO 8601 strings sort as time; a task with an unreadable timestamp sorts as oldest.
  if (a.status === 'PENDING') return a.priority - b.priority || (a.createdAt ?? '').localeCompare(b.createdAt ?? '');
  return (b.completedAt ?? b.createdAt ?? '').localeCompare(a.completedAt ?? a.createdAt ?? '');
}
