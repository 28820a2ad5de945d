// `tasks.list`: one documented order. The page is the `limit` newest tasks by creation (before the `before`
// cursor, when given); `sort: 'priority'` and `reverse` then order that page. Creation times never change, so a
// cursor gives stable pages while tasks move between states.
import { parseInput, RdcError, TASK_STATUSES, type TaskView, taskIdSchema, teamNameSchema } from '@rediacc/core';
import { type ListCursor, listTeams, newestTasks, readableTeams, type TeamQueues } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RegistryCache } from './machine-cache.js';

export const LIST_SORTS = ['created', 'priority'] as const;

export const listOptionsSchema = z
  .object({
    team: teamNameSchema.optional(),
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
  const page = await newestTasks(redis, queues, teams, { status: options.status, limit: options.limit, before });
  if (options.sort === 'priority') page.sort((a, b) => a.priority - b.priority); // stable: newest first within
  return options.reverse ? page.reverse() : page;
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
