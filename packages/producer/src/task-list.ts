// `tasks.list`: one documented order. The page is the `limit` newest tasks by creation (before the `before`
// cursor, when given); `sort: 'priority'` and `reverse` then order that page. Creation times never change, so a
// cursor gives stable pages while tasks move between states. With `machine`, the page comes from the machine's
// index (queue's machine-index.ts): exact at any backlog, reading only that machine's tasks.
import {
  machineNameSchema,
  parseInput,
  RdcError,
  TASK_STATUSES,
  type TaskView,
  taskIdSchema,
  teamNameSchema,
} from '@rediacc/core';
import {
  type ListCursor,
  listTeams,
  newestTasks,
  readableTeams,
  type TeamQueues,
  tasksOfMachine,
} from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RegistryCache } from './machine-cache.js';

export const LIST_SORTS = ['created', 'priority'] as const;

export const listOptionsSchema = z
  .object({
    team: teamNameSchema.optional(),
    /** Only this machine's tasks (of each listed team), from its index. */
    machine: machineNameSchema.optional(),
    status: z.enum(TASK_STATUSES, { error: `status must be one of ${TASK_STATUSES.join(', ')}` }).optional(),
    limit: z.number().int().min(1, 'limit must be at least 1').max(10_000, 'limit must be at most 10000').default(50),
    /** created: newest first; priority: the same page ordered by priority (1 first), newest first within one. */
    sort: z.enum(LIST_SORTS, { error: `sort must be one of ${LIST_SORTS.join(', ')}` }).default('created'),
    /** Prints the page the other way round (oldest first with sort created). */
    reverse: z.boolean().default(false),
    /** Only tasks created before this task (a task id) or time (ISO 8601, or ms since the epoch). */
    before: z.string().min(1).optional(),
  })
  .strict();
export type ListOptions = z.input<typeof listOptionsSchema>;

export interface ListContext {
  redis: Redis;
  queues: TeamQueues;
  registry: RegistryCache;
  /** The task's creation time, for a task-id cursor (throws RDC_TASK_UNKNOWN or RDC_ACCESS_DENIED). */
  createdAtOf(taskId: string): Promise<string | null>;
}

export async function listTasks(context: ListContext, input: ListOptions): Promise<TaskView[]> {
  const options = parseInput(listOptionsSchema, input, 'list options');
  const { redis, queues, registry } = context;
  // Without a team: every team this user may read (an operator of one team lists that team).
  const teams = options.team
    ? [(await registry.team(options.team)).name]
    : await readableTeams(
        redis,
        (await listTeams(redis)).map((t) => t.name),
      );
  const before = options.before === undefined ? undefined : await cursorOf(context, options.before);
  const page =
    options.machine === undefined
      ? await newestTasks(redis, queues, teams, { status: options.status, limit: options.limit, before })
      : await newestOfMachine(context, teams, options.machine, options.status, options.limit, before);
  if (options.sort === 'priority') page.sort((a, b) => a.priority - b.priority); // stable: newest first within
  return options.reverse ? page.reverse() : page;
}

/** The machine's newest tasks across `teams`; with a status, pages of the index are read until the page is full. */
async function newestOfMachine(
  { redis, queues }: ListContext,
  teams: readonly string[],
  machine: string,
  status: TaskView['status'] | undefined,
  limit: number,
  before: ListCursor | undefined,
): Promise<TaskView[]> {
  const kept: TaskView[] = [];
  let cursor = before;
  const size = status === undefined ? limit : Math.max(limit, 200);
  for (;;) {
    const perTeam = await Promise.all(
      teams.map((team) => tasksOfMachine(redis, queues, team, machine, { limit: size, before: cursor })),
    );
    const page = perTeam
      .flat()
      .sort((a, b) => createdMs(b) - createdMs(a) || (a.taskId < b.taskId ? 1 : -1))
      .slice(0, size);
    kept.push(...page.filter((view) => status === undefined || view.status === status));
    const oldest = page.at(-1);
    if (kept.length >= limit || page.length < size || !oldest) return kept.slice(0, limit);
    cursor = { createdAt: createdMs(oldest), taskId: oldest.taskId };
  }
}

function createdMs(view: TaskView): number {
  return view.createdAt === null ? 0 : Date.parse(view.createdAt);
}

async function cursorOf(context: ListContext, before: string): Promise<ListCursor> {
  if (taskIdSchema.safeParse(before).success) {
    const createdAt = Date.parse((await context.createdAtOf(before)) ?? '');
    if (Number.isNaN(createdAt)) throw new RdcError('RDC_INVALID_INPUT', `task ${before} has no creation time`);
    return { createdAt, taskId: before };
  }
  const ms = /^\d+$/.test(before) ? Number(before) : Date.parse(before);
  if (Number.isNaN(ms)) {
    throw new RdcError(
      'RDC_INVALID_INPUT',
      `before must be a task id or a time (ISO 8601 like 2026-01-31T12:00:00Z, or ms since the epoch), not ${JSON.stringify(before)}`,
    );
  }
  return { createdAt: ms };
}
