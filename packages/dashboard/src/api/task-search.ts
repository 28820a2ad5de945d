// GET /api/tasks: the newest tasks first (the SDK's `tasks.list` order and task-id cursor), filtered. Exact at any
// backlog: a task id in `q` is one lookup; team, status and machine narrow the listing itself (per-state sources,
// and the machine's index). Priority and command text cannot use an index, so they filter a window of those tasks,
// read page by page and bounded by SCAN_LIMIT: `searchLimited` then says the search stopped there (the console says
// so in words), and `next` continues it with the next window further back.
import {
  type DashboardPrincipal,
  isRdcError,
  parseInput,
  TASK_STATUSES,
  type TaskView,
  taskIdSchema,
  teamNameSchema,
} from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { z } from 'zod';
import { teamsOf } from './access.js';
import { type ConsoleTaskView, consoleView } from './task-view.js';

/** Tasks read at most per search. */
export const SCAN_LIMIT = 5_000;
/**
 * Tasks read by a search's first listing call; a second call reads the rest of SCAN_LIMIT. A common match ends
 * after the first, a rare one takes two: each call re-finds its cursor, which costs more than reading on.
 */
const FIRST_WINDOW = 250;

/** An empty query parameter (`?machine=` from a form) means the filter is off. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

export const taskQuerySchema = z.object({
  team: optional(teamNameSchema),
  status: optional(z.enum(TASK_STATUSES, { error: `status must be one of ${TASK_STATUSES.join(', ')}` })),
  machine: optional(z.string().max(128, 'machine must be at most 128 characters')),
  priority: optional(z.coerce.number().int().min(1).max(5, 'priority must be 1 to 5')),
  q: optional(z.string().max(256, 'q must be at most 256 characters')),
  before: optional(z.string().max(64, 'before must be a task id or a time')),
  limit: optional(
    z.coerce.number().int().min(1, 'limit must be 1 to 200').max(200, 'limit must be 1 to 200'),
  ).transform((limit) => limit ?? 50),
});
export type TaskQuery = z.output<typeof taskQuerySchema>;

export interface TaskPage {
  tasks: ConsoleTaskView[];
  /** The cursor of the next (older) page, for `before`; null when there is none. */
  next: string | null;
  /** Tasks read to answer. */
  scanned: number;
  /** A filter without an index stopped at SCAN_LIMIT tasks: older matches may exist (follow `next`). */
  searchLimited: boolean;
  /** How many tasks one window of a bounded search reads (SCAN_LIMIT). */
  window: number;
}

export async function searchTasks(
  client: RediaccClient,
  principal: DashboardPrincipal,
  raw: unknown,
): Promise<TaskPage> {
  const query = parseInput(taskQuerySchema, raw, 'task query');
  const teams = await teamsOf(client, principal, query.team);
  // One team named (or the token's own), else every team: the SDK lists all teams this connection reads.
  const team = query.team ?? principal.team;
  const list = (limit: number, before: string | undefined) =>
    client.tasks.list({ team, status: query.status, machine: query.machine, limit, before });
  const matches = matcher(query);

  if (query.q !== undefined && taskIdSchema.safeParse(query.q).success) {
    const found = await client.tasks.inspect(query.q).catch((error: unknown) => {
      if (isRdcError(error) && error.code === 'RDC_TASK_UNKNOWN') return undefined;
      throw error;
    });
    // An id is looked up, never searched for: the answer is exact whatever the backlog.
    const hit = found && teams.includes(found.team) && matches(found, true);
    return { tasks: hit ? [consoleView(found)] : [], next: null, scanned: 1, searchLimited: false, window: SCAN_LIMIT };
  }

  if (query.priority === undefined && query.q === undefined) {
    const page = await list(query.limit + 1, query.before);
    const tasks = page.slice(0, query.limit);
    const next = page.length > query.limit ? (tasks[tasks.length - 1]?.taskId ?? null) : null;
    return { tasks: tasks.map(consoleView), next, scanned: page.length, searchLimited: false, window: SCAN_LIMIT };
  }

  const kept: TaskView[] = [];
  let scanned = 0;
  let cursor = query.before;
  let exhausted = false;
  while (kept.length <= query.limit && scanned < SCAN_LIMIT) {
    const size = scanned === 0 ? FIRST_WINDOW : SCAN_LIMIT - scanned;
    const page = await list(size, cursor);
    scanned += page.length;
    for (const view of page) if (matches(view, false)) kept.push(view);
    if (page.length < size) {
      exhausted = true;
      break;
    }
    cursor = page[page.length - 1]?.taskId;
  }
  const tasks = kept.slice(0, query.limit);
  const full = kept.length > query.limit;
  const searchLimited = !full && !exhausted;
  const next = full ? (tasks[tasks.length - 1]?.taskId ?? null) : searchLimited ? (cursor ?? null) : null;
  return { tasks: tasks.map(consoleView), next, scanned, searchLimited, window: SCAN_LIMIT };
}

/** Whether a task passes the filters; `byId`: it was found by `q` as its id, so `q` needs no text match. */
function matcher(query: TaskQuery): (view: TaskView, byId: boolean) => boolean {
  const text = query.q?.toLowerCase();
  return (view, byId) =>
    (query.status === undefined || view.status === query.status) &&
    (query.machine === undefined || view.machine === query.machine) &&
    (query.priority === undefined || view.priority === query.priority) &&
    (text === undefined ||
      byId ||
      view.command.toLowerCase().includes(text) ||
      view.machine.toLowerCase().includes(text));
}
