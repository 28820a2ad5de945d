// The task operations of the SDK: create, createMany, inspect, list, wait, counts. Each team has one
// queue per lane (P1–P2 critical, P3–P5 normal): creates route by priority, reads see every lane.
import { randomUUID } from 'node:crypto';
import {
  formatIssues,
  isTerminal,
  LANES,
  parseInput,
  RdcError,
  type TaskSpec,
  type TaskSpecInput,
  type TaskView,
  taskSpecSchema,
  teamNameSchema,
} from '@rediacc/core';
import {
  asAccessDenied,
  countTeamTasks,
  countTombstones,
  findJob,
  missingVaultEntries,
  readTeamTask,
  readTombstone,
  type TaskLocation,
  type TeamQueues,
  taskKey,
} from '@rediacc/queue';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AuditTrail } from './audit-trail.js';
import type { RegistryCache } from './machine-cache.js';
import { type CancelOptions, type CancelResult, cancelOptionsSchema, cancelTask } from './task-cancel.js';
import {
  type CreatedTask,
  created,
  createRecord,
  groupByQueue,
  sameTask,
  type TaskEntry,
  taskEntry,
  twinConflict,
} from './task-factory.js';
import { parseTaskId } from './task-id.js';
import { type ListOptions, listTasks } from './task-list.js';
import { locateReadable } from './task-locate.js';
import type { TaskWaiter } from './task-waiter.js';
import { type TaskEvent, watchTask } from './task-watch.js';

export class Tasks {
  constructor(
    private readonly redis: Redis,
    private readonly queues: TeamQueues,
    private readonly registry: RegistryCache,
    private readonly waiter: TaskWaiter,
    private readonly audit: AuditTrail,
  ) {}

  /** Enqueues one task. Unknown team or machine: throws and enqueues nothing. */
  async create(input: TaskSpecInput): Promise<CreatedTask> {
    const spec = parseInput(taskSpecSchema, input, 'task spec');
    try {
      return await this.createOne(spec);
    } catch (error) {
      await this.audit.refused(error, {
        team: spec.team,
        action: 'task.create',
        target: spec.taskId ?? spec.machine,
        detail: { machine: spec.machine, priority: spec.priority },
      });
      throw await this.denied(error, 'create tasks', spec.team);
    }
  }

  private async createOne(spec: TaskSpec): Promise<CreatedTask> {
    const entry = await this.entryFor(spec);
    const queue = this.queues.forPriority(spec.team, spec.priority);
    if (spec.taskId) {
      // Look in every lane: the same id under another priority is another task (a conflict).
      const existing = await findJob(this.queues, spec.team, spec.taskId);
      const result = existing ? this.duplicate(existing.data, entry) : await this.addChecked(queue, entry);
      await this.audit.record([createRecord(result)]);
      return result;
    }
    const result = created(entry, true);
    if (!(await this.audit.writesAhead(spec.team))) {
      // This user may append to the log but perhaps not add (a viewer): the entry waits for the add's answer, so
      // a refused create is recorded once, as denied (by create()), never as created.
      await queue.add(entry.name, entry.data, entry.opts);
      await this.audit.record([createRecord(result)]);
      return result;
    }
    // A new id: the add and its audit entry go out together, so a create waits for one round trip, not two.
    // Should the add fail once the entry is written, a second entry records that.
    const [added, audited] = await Promise.allSettled([
      queue.add(entry.name, entry.data, entry.opts),
      this.audit.record([createRecord(result)]),
    ]);
    if (added.status === 'rejected') {
      if (audited.status === 'fulfilled') {
        await this.audit.record([{ ...createRecord(result), outcome: 'failed' }]).catch(() => {});
      }
      throw added.reason;
    }
    if (audited.status === 'rejected') throw audited.reason;
    return result;
  }

  /** Adds a task with the caller's own id; a twin added meanwhile under another priority is a conflict. */
  private async addChecked(queue: Queue, entry: TaskEntry): Promise<CreatedTask> {
    await queue.add(entry.name, entry.data, entry.opts);
    if (await this.twinOf([entry])) {
      await queue.remove(entry.opts.jobId);
      throw twinConflict(entry);
    }
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
    try {
      const { results, audited } = await this.createAll(specs);
      if (!audited) await this.audit.record(results.map(createRecord));
      return results;
    } catch (error) {
      const teams = [...new Set(specs.map((spec) => spec.team))];
      for (const team of teams) {
        const asked = specs.filter((spec) => spec.team === team).map((spec) => spec.machine);
        await this.audit.refused(error, {
          team,
          action: 'task.create',
          target: `createMany of ${specs.length}`,
          detail: { machines: [...new Set(asked)].join(', ') },
        });
      }
      throw error;
    }
  }

  /** Adds every spec or none; `audited`: the creates' audit entries went out with the adds. */
  private async createAll(specs: TaskSpec[]): Promise<{ results: CreatedTask[]; audited: boolean }> {
    const entries = await Promise.all(specs.map((spec) => this.entryFor(spec)));
    const ids = new Set<string>();
    for (const entry of entries) {
      if (ids.has(entry.opts.jobId)) {
        throw new RdcError('RDC_TASK_ID_CONFLICT', `taskId ${entry.opts.jobId} appears twice in one createMany`);
      }
      ids.add(entry.opts.jobId);
    }
    const results = new Map<string, CreatedTask>();
    const withIds = entries.filter((_, i) => specs[i]?.taskId !== undefined);
    const explicitIds = new Set(withIds.map((e) => e.opts.jobId));
    await this.settleExisting(withIds, results);
    const fresh = entries.filter((e) => !results.has(e.opts.jobId));
    const added: { queue: Queue; ids: string[] }[] = [];
    // Only new ids (none of the caller's own): the audit entries go out alongside the adds instead of after
    // them, one round trip's wait less; if the adds fail, a second set of entries records that.
    const ahead = (
      await Promise.all([...new Set(specs.map((s) => s.team))].map((t) => this.audit.writesAhead(t)))
    ).every(Boolean);
    const records = explicitIds.size === 0 && ahead ? fresh.map((e) => createRecord(created(e, true))) : undefined;
    const early = records && this.audit.record(records);
    early?.catch(() => {}); // awaited below
    try {
      for (const group of groupByQueue(fresh)) {
        const queue = this.queues.forPriority(group.team, group.priority);
        const jobs = await queue.addBulk(group.entries);
        added.push({ queue, ids: group.entries.map((e) => e.opts.jobId) });
        const missing = group.entries.filter((e, i) => jobs[i]?.id !== e.opts.jobId);
        if (missing.length > 0) throw new RdcError('RDC_INTERNAL', `addBulk did not store ${missing.length} tasks`);
      }
      const twin = await this.twinOf(fresh.filter((e) => explicitIds.has(e.opts.jobId)));
      if (twin) throw twinConflict(twin);
    } catch (error) {
      // addBulk is a pipeline, not a transaction: undo what went in so createMany stays all-or-nothing.
      await Promise.allSettled(added.flatMap(({ queue, ids }) => ids.map((id) => queue.remove(id))));
      if (
        records &&
        (await early?.then(
          () => true,
          () => false,
        ))
      ) {
        await this.audit.record(records.map((r) => ({ ...r, outcome: 'failed' as const }))).catch(() => {});
      }
      throw error;
    }
    await early;
    for (const entry of fresh) results.set(entry.opts.jobId, created(entry, true));
    return { results: entries.map((e) => results.get(e.opts.jobId)!), audited: early !== undefined };
  }

  async inspect(taskId: string): Promise<TaskView> {
    const id = parseTaskId(taskId);
    const where = await this.locateOrDeny(id, 'read');
    const view = where ? await this.view(where, id) : undefined;
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
    // Locate every id first: an id this user may not look for stops the whole call before anything is cancelled.
    const locations = await Promise.all(ids.map((taskId) => this.locateOrDeny(taskId, 'cancel')));
    return Promise.all(
      ids.map(async (taskId, i) => {
        const where = locations[i];
        if (!where) return { taskId, outcome: 'unknown', status: null } satisfies CancelResult;
        const result = await cancelTask(
          {
            redis: this.redis,
            queue: where.lane ? this.queues.get(where.team, where.lane) : undefined,
            view: () => this.view(where, taskId),
            wait: (ms) => this.waiter.wait(where, taskId, ms, () => this.finished(where, taskId)),
          },
          where.team,
          taskId,
          waitMs,
        ).catch(async (error: unknown) => {
          await this.audit.refused(error, { team: where.team, action: 'task.cancel', target: taskId });
          throw await this.denied(error, 'cancel tasks', where.team);
        });
        await this.audit.record([
          {
            team: where.team,
            action: 'task.cancel',
            target: taskId,
            outcome: result.outcome === 'cancelled' || result.outcome === 'requested' ? 'ok' : 'failed',
            detail: { result: result.outcome, status: result.status },
          },
        ]);
        return result;
      }),
    );
  }

  /** An ACL refusal as RDC_ACCESS_DENIED naming the team the call was about; other errors unchanged. */
  private denied(error: unknown, action: string, team: string): Promise<unknown> {
    return asAccessDenied(error, this.redis, { action, team });
  }

  private async finished(where: TaskLocation, taskId: string): Promise<TaskView | undefined> {
    const view = await this.view(where, taskId);
    if (!view) throw new RdcError('RDC_TASK_UNKNOWN', `task ${taskId} was removed while waiting for it`);
    return isTerminal(view.status) ? view : undefined;
  }

  /** A task from the queue that holds it, or its tombstone when it was cancelled before running. */
  private async view(where: TaskLocation, taskId: string): Promise<TaskView | undefined> {
    const { team, lane } = where;
    const job = lane ? await readTeamTask(this.queues, this.redis, team, taskId, lane) : undefined;
    return job ?? readTombstone(this.redis, team, taskId);
  }

  /**
   * Tasks across the teams this user may read (or one team): the `limit` newest by creation, before the `before`
   * cursor (a task id or a time) when given; `sort: 'priority'` and `reverse` order that page.
   */
  list(input: ListOptions = {}): Promise<TaskView[]> {
    return listTasks(
      {
        redis: this.redis,
        queues: this.queues,
        registry: this.registry,
        createdAtOf: async (taskId) => (await this.inspect(taskId)).createdAt,
      },
      input,
    );
  }

  /** Resolves with the task once it is COMPLETED, FAILED or CANCELLED. */
  async wait(taskId: string, options: { timeoutMs?: number } = {}): Promise<TaskView> {
    const id = parseTaskId(taskId);
    const where = await this.locateOrDeny(id, 'read');
    if (!where) throw new RdcError('RDC_TASK_UNKNOWN', `no task with id ${id}`);
    return this.waiter.wait(where, id, options.timeoutMs, () => this.finished(where, id));
  }

  /**
   * Follows a task until it ends: its status changes and its output as it arrives (streamed from the machine
   * while the command runs). `for await (const event of client.tasks.watch(id)) …`
   */
  watch(taskId: string, options: { pollMs?: number } = {}): AsyncGenerator<TaskEvent, void, undefined> {
    const id = parseTaskId(taskId);
    const pollMs = options.pollMs ?? 250;
    if (!Number.isInteger(pollMs) || pollMs < 20 || pollMs > 60_000) {
      throw new RdcError('RDC_INVALID_INPUT', 'pollMs must be a whole number of milliseconds from 20 to 60000');
    }
    const tasks = this;
    return (async function* () {
      const where = await tasks.locateOrDeny(id, 'read');
      if (!where) throw new RdcError('RDC_TASK_UNKNOWN', `no task with id ${id}`);
      yield* watchTask({ redis: tasks.redis, team: where.team, taskId: id, view: () => tasks.view(where, id), pollMs });
    })();
  }

  /** Queue depth of a team: tasks per status group and pending tasks per priority. Cheap at any backlog. */
  async counts(team: string): Promise<QueueCounts> {
    parseInput(teamNameSchema, team, 'team name');
    await this.registry.team(team);
    const [counts, cancelled] = await Promise.all([
      countTeamTasks(this.queues, team),
      countTombstones(this.redis, team),
    ]);
    return { team, ...counts, cancelled };
  }

  private async entryFor(spec: TaskSpec): Promise<TaskEntry> {
    await this.registry.machine(spec.team, spec.machine);
    const team = await this.registry.team(spec.team);
    if (spec.secrets && spec.secrets.length > 0) {
      // Checked by name only: the producer cannot (and need not) open a value.
      const missing = await missingVaultEntries(
        this.redis,
        spec.team,
        spec.secrets.map((s) => s.name),
      );
      if (missing.length > 0) {
        throw new RdcError(
          'RDC_VAULT_UNKNOWN',
          `team "${spec.team}" has no vault secret ${missing.map((n) => JSON.stringify(n)).join(', ')}`,
        );
      }
    }
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
    const existing = await Promise.all(entries.map((e) => findJob(this.queues, e.data.team, e.opts.jobId)));
    entries.forEach((entry, i) => {
      const job = existing[i];
      if (job) results.set(entry.opts.jobId, this.duplicate(job.data, entry));
    });
  }

  private locateOrDeny(taskId: string, verb: 'read' | 'cancel'): Promise<TaskLocation | undefined> {
    return locateReadable(this.redis, taskId, verb);
  }

  /**
   * After adding tasks with caller-chosen ids: the entry whose id another lane of its team also holds, if
   * any. Only a concurrent create of the same id at a priority of another lane does that; the same id in
   * the same lane is one job (BullMQ ignores the second add).
   */
  private async twinOf(entries: TaskEntry[]): Promise<TaskEntry | undefined> {
    const held = await Promise.all(
      entries.map(async (e) => {
        const replies = await Promise.all(
          LANES.map((lane) => this.redis.exists(taskKey(e.data.team, lane, e.opts.jobId))),
        );
        return replies.reduce((a, b) => a + b, 0);
      }),
    );
    return entries.find((_, i) => (held[i] ?? 0) > 1);
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
