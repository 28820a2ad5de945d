// rediacc create task … | list queue | inspect queue ID
import { batchIdSchema, RdcError, TASK_STATUSES, type TaskView, taskIdSchema, teamNameSchema } from '@rediacc/core';
import { LIST_SORTS, newestFirst } from '@rediacc/producer';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { integer, oneOf, positiveNumber, schemaFlag } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, endWith, json, line, note, type Printed, text } from '../result.js';
import { addFanoutOptions, CREATE_TASK_FANOUT, createFanout, type FanoutOptions, fanOutTargetOf } from './batch.js';
import { type TaskSpecOptions, taskSpecFrom, taskSpecOptions } from './task-spec-flags.js';
import { taskTable } from './task-table.js';
import { followTask, waitForTask } from './task-wait.js';

interface ListCliOptions extends OutputOptions {
  status?: (typeof TASK_STATUSES)[number];
  team?: string;
  limit: number;
  before?: string;
  sort?: (typeof LIST_SORTS)[number];
  reverse?: boolean;
  batch?: string;
}

interface CreateOptions extends OutputOptions, FanoutOptions, TaskSpecOptions {
  taskId?: string;
  wait?: boolean;
  waitTimeout?: number;
}

interface InspectOptions extends OutputOptions {
  taskId: string;
  follow?: boolean;
  waitTimeout?: number;
}

/** Prints the task id (or the created task); with --wait, waits and ends with the task's exit code. */
export const createTask: Handler<CreateOptions> = async (options, client) => {
  const fanout = fanOutTargetOf(options, CREATE_TASK_FANOUT) ?? (options.pool && { pool: options.pool });
  if (fanout) {
    if (options.taskId !== undefined || options.wait || options.waitTimeout !== undefined) {
      throw new RdcError(
        'RDC_INVALID_INPUT',
        '--task-id, --wait and --wait-timeout name or wait for one task: use `inspect batch ID --follow` for a batch',
      );
    }
    const task = { ...taskSpecFrom(options), ...(options.team !== undefined && { team: options.team }) };
    return createFanout(options, fanout, task, client);
  }
  const machine = options.machine ?? '';
  const team = options.team ?? (await client.machines.get(machine)).team;
  const created = await client.tasks.create({
    team,
    machine,
    ...taskSpecFrom(options),
    ...(options.taskId !== undefined && { taskId: options.taskId }),
  });
  if (!options.wait && options.waitTimeout === undefined) {
    return done(options.json ? json(created) : line(created.taskId));
  }
  // The wait prints as it goes (the id first, then the output): only the exit code is left to return.
  return endWith(await waitForTask(client, created, { json: options.json === true, waitTimeout: options.waitTimeout }));
};

export const listQueue: Handler<ListCliOptions> = async (options, client) => {
  if (options.batch !== undefined) {
    // A batch's tasks in machine order (a batch holds at most a thousand).
    const all = await client.batches.tasks(options.batch);
    const tasks = all
      .filter((t) => options.status === undefined || t.status === options.status)
      .slice(0, options.limit);
    return done(options.json ? json(tasks) : taskTable(tasks));
  }
  const tasks = await client.tasks.list({
    status: options.status,
    team: options.team,
    limit: options.limit,
    ...(options.before !== undefined && { before: options.before }),
    ...(options.sort !== undefined && { sort: options.sort }),
    reverse: options.reverse === true,
  });
  if (options.json) return done(json(tasks));
  const printed = [taskTable(tasks)];
  const oldest = [...tasks].sort(newestFirst).at(-1);
  if (oldest && tasks.length === options.limit) {
    printed.push(note(`(more: rediacc list queue --before ${oldest.taskId} --limit ${options.limit})`));
  }
  return done(...printed);
};

/** One task's view; with --follow, its output as it arrives and the command's exit code at the end. */
export const inspectQueue: Handler<InspectOptions> = async (options, client) => {
  if (options.follow) {
    return endWith(
      await followTask(client, options.taskId, { json: options.json === true, waitTimeout: options.waitTimeout }),
    );
  }
  const view = await client.tasks.inspect(options.taskId);
  return done(...(options.json ? [json(view)] : viewText(view)));
};

export function registerTask(program: Command): void {
  const createCommand = taskSpecOptions(
    program
      .command('create')
      .description('create things (create task …)')
      .command('task')
      .description(
        'queue a command to run on a machine; prints the task id (with --machines or --select: a batch, one task per machine; prints the batch id)',
      ),
  )
    .option('--task-id <uuid>', 'your own task id, for idempotent create', schemaFlag(taskIdSchema))
    .option(
      '--wait',
      'wait for the task, print its output, exit with its exit code (the task id goes to stderr first; says so when no live bridge serves the team)',
    )
    .option(
      '--wait-timeout <seconds>',
      'wait (implies --wait) at most this long, then exit 124 and leave the task queued',
      positiveNumber,
    )
    .option('--json', 'machine-readable output (a batch: {batchId, taskIds})')
    .action((options: CreateOptions) => runCommand(createTask, options));
  addFanoutOptions(createCommand);

  program
    .command('list')
    .description('list things (list queue …)')
    .command('queue')
    .description(
      'list tasks, newest first by creation time (every state: running, pending and finished alike); --limit takes ' +
        'the newest N, --before pages back from a task or time, --sort and --reverse order the page',
    )
    .option('--status <status>', TASK_STATUSES.join('|'), oneOf(TASK_STATUSES))
    .option('--team <team>', 'only this team', schemaFlag(teamNameSchema))
    .option('--limit <n>', 'the newest n tasks', integer(1, 10_000), 50)
    .option(
      '--before <taskId|time>',
      'only tasks created before this task (the last one of the previous page) or time (ISO 8601 or ms): stable pages',
    )
    .option('--sort <key>', 'created (newest first) or priority (1 first, newest first within one)', oneOf(LIST_SORTS))
    .option('--reverse', 'the same tasks the other way round (oldest first)')
    .option('--batch <batchId>', 'only the tasks of this batch, in machine order', schemaFlag(batchIdSchema))
    .option('--json', 'machine-readable output (an array of tasks)')
    .action((options: ListCliOptions) => runCommand(listQueue, options));

  program
    .command('inspect')
    .description('show one thing (inspect queue ID)')
    .command('queue')
    .argument('<taskId>', 'task id printed by create task', schemaFlag(taskIdSchema))
    .option('--follow', "print the output as it arrives until the task ends; exit with the command's exit code")
    .option(
      '--wait-timeout <seconds>',
      'with --follow: stop following after this long and exit 124 (the task goes on)',
      positiveNumber,
    )
    .option('--json', 'machine-readable output (with --follow: one JSON event per line)')
    .description("show a task's status, output and error")
    .action((taskId: string, options: Omit<InspectOptions, 'taskId'>) =>
      runCommand(inspectQueue, { ...options, taskId }),
    );
}

function viewText(view: TaskView): Printed[] {
  const { output, ...fields } = view;
  const printed: Printed[] = [];
  for (const [key, value] of Object.entries(fields)) {
    // retryCount keeps the docs' meaning (retries left); the line says so, since "count" reads as "done".
    const shown =
      key === 'retryCount'
        ? `${value} (retries left; ${view.retriesUsed} of maxRetries ${view.maxRetries} used)`
        : value === null
          ? '-'
          : typeof value === 'object'
            ? JSON.stringify(value)
            : value;
    printed.push(line(`${`${key}:`.padEnd(16)}${shown}`));
  }
  printed.push(text(`output:\n${output ?? ''}${output?.endsWith('\n') ? '' : '\n'}`));
  return printed;
}
