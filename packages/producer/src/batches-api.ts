// Fan-out batches as the SDK exposes them: `batches.create` runs one command on many machines (named, or selected by
// tags), one task per machine, all enqueued or none (createMany's all-or-nothing path) under one batch id;
// `inspect` and `watch` follow the batch machine by machine; `cancel` cancels what has not finished.
import { randomUUID } from 'node:crypto';
import {
  type BatchInfo,
  type BatchSpecInput,
  batchIdSchema,
  batchSpecSchema,
  isTerminal,
  laneOf,
  parseInput,
  RdcError,
  type TaskSpecInput,
  type TaskStatus,
  type TaskView,
} from '@rediacc/core';
import {
  batchInfo,
  batchMachines,
  findBatchTeam,
  listTeams,
  readableTeams,
  readBatchIndex,
  readTeamTask,
  readTombstone,
  removeBatchIndex,
  selectorText,
  type TeamQueues,
  writeBatchIndex,
} from '@rediacc/queue';
import type { Redis } from 'ioredis';
import type { CancelOptions, CancelResult } from './task-cancel.js';
import { type CreateContext, createTasks } from './task-create.js';

export interface CreatedBatch {
  batchId: string;
  team: string;
  /** One per machine, in the order of `machines`. */
  taskIds: string[];
  machines: string[];
}

export interface BatchTask {
  taskId: string;
  machine: string;
  status: TaskStatus | 'UNKNOWN';
  exitCode: number | null;
  errorCode: string | null;
  /** The last lines of the output (at most OUTPUT_TAIL_BYTES). */
  outputTail: string;
  startedAt: string | null;
  completedAt: string | null;
}

export interface BatchSummary {
  completed: number;
  failed: number;
  cancelled: number;
  /** Not finished yet: PENDING, ASSIGNED or PROCESSING. */
  pending: number;
}

export interface BatchView extends Omit<BatchInfo, 'createdAt'> {
  createdAt: string;
  tasks: BatchTask[];
  summary: BatchSummary;
  /** Every task has finished. */
  done: boolean;
}

export type BatchEvent = { type: 'task'; task: BatchTask } | { type: 'done'; batch: BatchView };

const OUTPUT_TAIL_BYTES = 512;

export class Batches {
  constructor(
    private readonly redis: Redis,
    private readonly queues: TeamQueues,
    private readonly creating: () => CreateContext,
    private readonly cancelTasks: (taskIds: string[], options?: CancelOptions) => Promise<CancelResult[]>,
  ) {}

  /**
   * Creates one task per machine (`machines: ['web-01', 'web-02']`, or `select: 'role=web'`), all or none, sharing a
   * batch id; `maxParallel: N` runs at most N at once (rolling), `stopOnFailure` cancels the tasks not started yet
   * once one fails for good. The machines must be of one team.
   */
  async create(input: BatchSpecInput): Promise<CreatedBatch> {
    const spec = parseInput(batchSpecSchema, input, 'batch');
    const { machines: names, select, maxParallel, stopOnFailure, team: askedTeam, ...task } = spec;
    const target = select ? { select } : { machines: names ?? [] };
    const { team, machines } = await batchMachines(this.redis, target, askedTeam);
    const batchId = randomUUID();
    const taskIds = machines.map(() => randomUUID());
    const info = batchInfo(batchId, team, task, machines.length, { select, maxParallel, stopOnFailure });
    const specs: TaskSpecInput[] = machines.map((m) => ({ ...task, team, machine: m.name }));
    // The index first, so a task never runs without its batch; undone if the tasks cannot all be added.
    await writeBatchIndex(this.redis, info, taskIds);
    const batch = { id: batchId, ...(maxParallel !== undefined && { maxParallel }), stopOnFailure };
    const ctx = this.creating();
    try {
      await createTasks(ctx, specs, { batch, taskIds });
    } catch (error) {
      await removeBatchIndex(this.redis, team, batchId).catch(() => {});
      throw error;
    }
    // One entry for the batch as a whole, beside its tasks' task.create entries.
    await ctx.audit.record([
      {
        team,
        action: 'batch.create',
        target: batchId,
        outcome: 'ok',
        detail: {
          select: select ? selectorText(select) : null,
          // The audit detail holds at most 4 KiB a value: a selector's machines are found again by its tags.
          machines: select
            ? null
            : machines
                .map((m) => m.name)
                .join(',')
                .slice(0, 4_096),
          tasks: taskIds.length,
          maxParallel: maxParallel ?? null,
          stopOnFailure,
        },
      },
    ]);
    return { batchId, team, taskIds, machines: machines.map((m) => m.name) };
  }

  /** The batch machine by machine (status, exit code, output tail) and its summary. */
  async inspect(batchId: string): Promise<BatchView> {
    const { info, taskIds } = await this.index(batchId);
    const lane = laneOf(info.priority);
    const views = await Promise.all(
      taskIds.map(
        async (id) =>
          (await readTeamTask(this.queues, this.redis, info.team, id, lane)) ??
          (await readTombstone(this.redis, info.team, id)),
      ),
    );
    const tasks = taskIds.map((taskId, i) => batchTask(taskId, views[i]));
    const summary: BatchSummary = { completed: 0, failed: 0, cancelled: 0, pending: 0 };
    for (const t of tasks) {
      if (t.status === 'COMPLETED') summary.completed++;
      else if (t.status === 'FAILED' || t.status === 'UNKNOWN') summary.failed++;
      else if (t.status === 'CANCELLED') summary.cancelled++;
      else summary.pending++;
    }
    return { ...info, createdAt: new Date(info.createdAt).toISOString(), tasks, summary, done: summary.pending === 0 };
  }

  /** The batch's tasks as full task views (`list queue --batch`). */
  async tasks(batchId: string): Promise<TaskView[]> {
    const { info, taskIds } = await this.index(batchId);
    const lane = laneOf(info.priority);
    const views = await Promise.all(
      taskIds.map(
        async (id) =>
          (await readTeamTask(this.queues, this.redis, info.team, id, lane)) ??
          (await readTombstone(this.redis, info.team, id)),
      ),
    );
    return views.filter((v): v is TaskView => v !== undefined);
  }

  /**
   * Follows a batch until every task has finished: a `task` event each time one changes status, then `done` with
   * the whole batch. `for await (const event of client.batches.watch(id)) …`
   */
  watch(batchId: string, options: { pollMs?: number } = {}): AsyncGenerator<BatchEvent, void, undefined> {
    const pollMs = options.pollMs ?? 500;
    if (!Number.isInteger(pollMs) || pollMs < 20 || pollMs > 60_000) {
      throw new RdcError('RDC_INVALID_INPUT', 'pollMs must be a whole number of milliseconds from 20 to 60000');
    }
    const batches = this;
    return (async function* () {
      const seen = new Map<string, string>();
      for (;;) {
        const view = await batches.inspect(batchId);
        for (const task of view.tasks) {
          if (seen.get(task.taskId) === task.status) continue;
          seen.set(task.taskId, task.status);
          yield { type: 'task', task };
        }
        if (view.done) {
          yield { type: 'done', batch: view };
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    })();
  }

  /** Cancels every task of the batch that has not finished (pending ones never run, running ones are killed). */
  async cancel(batchId: string, options: CancelOptions = {}): Promise<CancelResult[]> {
    const view = await this.inspect(batchId);
    const open = view.tasks.filter((t) => t.status !== 'UNKNOWN' && !isTerminal(t.status)).map((t) => t.taskId);
    const results = open.length === 0 ? [] : await this.cancelTasks(open, options);
    await this.creating().audit.record([
      {
        team: view.team,
        action: 'batch.cancel',
        target: view.batchId,
        outcome: 'ok',
        detail: { tasks: view.tasks.length, cancelled: results.filter((r) => r.outcome === 'cancelled').length },
      },
    ]);
    return results;
  }

  private async index(batchId: string): Promise<{ info: BatchInfo; taskIds: string[] }> {
    const id = parseInput(batchIdSchema, batchId, 'batch id');
    const teams = await readableTeams(
      this.redis,
      (await listTeams(this.redis)).map((t) => t.name),
    );
    const team = await findBatchTeam(this.redis, teams, id);
    const found = team === undefined ? undefined : await readBatchIndex(this.redis, team, id);
    if (!found) throw new RdcError('RDC_BATCH_UNKNOWN', `no batch with id ${id} in a team this user may read`);
    return found;
  }
}

function batchTask(taskId: string, view: TaskView | undefined): BatchTask {
  const output = view?.output ?? '';
  return {
    taskId,
    machine: view?.machine ?? '?',
    status: view?.status ?? 'UNKNOWN',
    exitCode: view?.exitCode ?? null,
    errorCode: view?.errorCode ?? null,
    outputTail: output.length > OUTPUT_TAIL_BYTES ? output.slice(-OUTPUT_TAIL_BYTES) : output,
    startedAt: view?.startedAt ?? null,
    completedAt: view?.completedAt ?? null,
  };
}
