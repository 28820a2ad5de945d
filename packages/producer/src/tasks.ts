// The task operations of the SDK: create and createMany (task-create.ts), inspect, cancel, list, wait, watch,
// counts. Each team has one queue per lane (P1–P2 critical, P3–P5 normal): creates route by priority, reads see
// every lane.
import {
  isTerminal,
  parseInput,
  RdcError,
  readTaskLines,
  type TaskSpecInput,
  type TaskView,
  teamNameSchema,
} from '@rediacc/core';
import {
  asAccessDenied,
  countTeamTasks,
  countTombstones,
  readTeamTask,
  readTombstone,
  type TaskLocation,
  type TeamQueues,
} from '@rediacc/queue';
import type { Redis } from 'ioredis';
import type { AuditTrail } from './audit-trail.js';
import type { RegistryCache } from './machine-cache.js';
import { type CancelOptions, type CancelResult, cancelOptionsSchema, cancelTask } from './task-cancel.js';
import { type CreateContext, createTask, createTasks } from './task-create.js';
import type { CreatedTask } from './task-factory.js';
import { parseTaskId } from './task-id.js';
import { type ListOptions, listTasks } from './task-list.js';
import { locateReadable } from './task-locate.js';
import { type RetryResult, retryTask } from './task-retry.js';
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

  private get creating(): CreateContext {
    return { redis: this.redis, queues: this.queues, registry: this.registry, audit: this.audit };
  }

  /** Enqueues one task. Unknown team or machine: throws and enqueues nothing. */
  create(input: TaskSpecInput): Promise<CreatedTask> {
    return createTask(this.creating, input);
  }

  /** Enqueues all specs or none: every spec is validated and every machine checked before anything is added. */
  createMany(inputs: readonly TaskSpecInput[]): Promise<CreatedTask[]> {
    return createTasks(this.creating, inputs);
  }

  /**
   * Enqueues the task specs of a JSON-lines source (a tasks file read line by line), all or none: every line is
   * checked first, and RDC_TASK_FILE_INVALID names every bad line and field. `defaults` fills fields a line omits.
   */
  async createFromLines(
    lines: AsyncIterable<string> | Iterable<string>,
    defaults: Partial<TaskSpecInput> = {},
  ): Promise<CreatedTask[]> {
    return createTasks(this.creating, await readTaskLines(lines, defaults));
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

  /**
   * Runs a FAILED task again: back to its queue as PENDING, with its priority. Refused (RDC_TASK_NOT_RETRYABLE)
   * for any other status and for tasks that failed with RDC_CANCELLED or RDC_RUN_LOST. Audited either way.
   */
  async retry(taskId: string): Promise<RetryResult> {
    const id = parseTaskId(taskId);
    const where = await this.locateOrDeny(id, 'retry');
    if (!where) throw new RdcError('RDC_TASK_UNKNOWN', `no task with id ${id}`);
    const audit = { team: where.team, action: 'task.retry', target: id } as const;
    const queue = where.lane ? this.queues.get(where.team, where.lane) : undefined;
    const result = await retryTask(queue, id).catch(async (error: unknown) => {
      if (error instanceof RdcError && error.code === 'RDC_TASK_NOT_RETRYABLE') {
        await this.audit.record([{ ...audit, outcome: 'failed', detail: { error: error.code } }]);
      } else {
        await this.audit.refused(error, audit);
      }
      throw await this.denied(error, 'retry tasks', where.team);
    });
    await this.audit.record([{ ...audit, outcome: 'ok' }]);
    return result;
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

  private locateOrDeny(taskId: string, verb: 'read' | 'cancel' | 'retry'): Promise<TaskLocation | undefined> {
    return locateReadable(this.redis, taskId, verb);
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
