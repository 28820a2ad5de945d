// Fan-out and pool flags of `create task` (--machines, --select, --pool, --max-parallel, --stop-on-failure), the
// fan-out target they name (which `schedule add` reads the same way), and `inspect batch ID [--follow]`,
// `cancel batch ID --confirm`. A batch is one task per machine under one batch id.
import {
  batchIdSchema,
  type FanOutTarget,
  MAX_BATCH_SIZE,
  machineNameSchema,
  RdcError,
  type Selector,
  selectorSchema,
  type TaskSpecInput,
} from '@rediacc/core';
import type { BatchTask, BatchView } from '@rediacc/producer';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { integer, listOf, schemaFlag } from '../options.js';
import type { OutputOptions } from '../output.js';
import { type CommandResult, done, endWith, failWith, json, jsonLine, line, show, table } from '../result.js';

export interface FanoutOptions {
  machines?: string[];
  select?: Selector;
  pool?: Selector;
  maxParallel?: number;
  stopOnFailure?: boolean;
}

/** Adds the fan-out and pool flags to `create task`. */
export function addFanoutOptions(createTask: Command): Command {
  return createTask
    .option(
      '--machines <a,b,c>',
      'a batch: one task per machine named (instead of --machine); prints the batch id',
      listOf(machineNameSchema),
    )
    .option(
      '--select <key=value,…>',
      'a batch: one task per machine carrying every tag, for example role=web,env=prod',
      schemaFlag(selectorSchema),
    )
    .option(
      '--pool <key=value,…>',
      'one task on the least busy machine carrying every tag (fewest running, then lowest load)',
      schemaFlag(selectorSchema),
    )
    .option('--max-parallel <n>', 'a batch runs at most n of its tasks at once (rolling)', integer(1, MAX_BATCH_SIZE))
    .option('--stop-on-failure', 'once a task of the batch fails, its tasks not started yet are CANCELLED');
}

/** How a command names its fan-out in its messages, and whether it takes --pool. */
export interface FanoutKind {
  pool: boolean;
  /** "a batch" */
  batch: string;
  /** "batches" */
  batches: string;
}

export const CREATE_TASK_FANOUT: FanoutKind = { pool: true, batch: 'a batch', batches: 'batches' };

/**
 * Checks the flags name exactly one place to run (--machine, --machines, --select, or --pool where the command takes
 * it) and that --max-parallel and --stop-on-failure come with a fan-out; returns the fan-out target of --machines or
 * --select, or undefined for --machine and --pool.
 */
export function fanOutTargetOf(
  options: FanoutOptions & { machine?: string },
  kind: FanoutKind,
): FanOutTarget | undefined {
  const flags = [
    ['--machine', options.machine],
    ['--machines', options.machines],
    ['--select', options.select],
    ...(kind.pool ? [['--pool', options.pool] as const] : []),
  ] as const;
  const given = flags.filter(([, value]) => value !== undefined);
  if (given.length !== 1) {
    const names = flags.map(([flag]) => flag);
    throw new RdcError(
      'RDC_INVALID_INPUT',
      given.length === 0
        ? `say where to run: --machine NAME, or ${kind.batch} with --machines a,b or --select key=value${kind.pool ? ', or --pool key=value' : ''}`
        : `give only one of ${names.slice(0, -1).join(', ')} or ${names.at(-1)}`,
    );
  }
  if (options.machines === undefined && options.select === undefined) {
    if (options.maxParallel !== undefined || options.stopOnFailure) {
      throw new RdcError(
        'RDC_INVALID_INPUT',
        `--max-parallel and --stop-on-failure apply to ${kind.batches}: use them with --machines or --select`,
      );
    }
    return undefined;
  }
  return {
    ...(options.machines ? { machines: options.machines } : { select: options.select }),
    ...(options.maxParallel !== undefined && { maxParallel: options.maxParallel }),
    stopOnFailure: options.stopOnFailure === true,
  };
}

/** `create task --machines|--select` (a batch) or `--pool`: the task flags common to all, already in `task`. */
export async function createFanout(
  options: OutputOptions,
  fanout: FanOutTarget | { pool: Selector },
  task: Omit<TaskSpecInput, 'machine' | 'team'> & { team?: string },
  client: Parameters<Handler<unknown>>[1],
): Promise<CommandResult> {
  if ('pool' in fanout) {
    const created = await client.pools.create({ ...task, pool: fanout.pool });
    if (options.json) return done(json(created));
    return done(line(created.taskId), line(`# on ${created.pool.machine} (${created.pool.candidates} in the pool)`));
  }
  const created = await client.batches.create({ ...task, ...fanout });
  if (options.json) return done(json({ batchId: created.batchId, taskIds: created.taskIds }));
  return done(line(created.batchId));
}

interface InspectBatchOptions extends OutputOptions {
  batchId: string;
  follow?: boolean;
}

interface CancelBatchOptions extends OutputOptions {
  batchId: string;
  confirm?: boolean;
}

export function registerBatch(program: Command): void {
  const inspect = program.commands.find((c) => c.name() === 'inspect');
  const cancel = program.commands.find((c) => c.name() === 'cancel');
  inspect
    ?.command('batch')
    .argument('<batchId>', 'batch id printed by create task --machines|--select', schemaFlag(batchIdSchema))
    .option('--follow', 'print each task as it changes until the batch ends')
    .option('--json', 'machine-readable output (with --follow: one JSON event per line)')
    .description(
      "show a batch: each machine's status, exit code and output tail, and the summary; exit 0 only when all completed",
    )
    .action((batchId: string, options: Omit<InspectBatchOptions, 'batchId'>) =>
      runCommand(inspectBatch, { ...options, batchId }),
    );
  cancel
    ?.command('batch')
    .argument('<batchId>', 'batch id printed by create task --machines|--select', schemaFlag(batchIdSchema))
    .option('--confirm', 'really cancel (without it, only show what would be cancelled)')
    .option('--json', 'machine-readable output (an array of per-task results)')
    .description('cancel the tasks of a batch that have not finished')
    .action((batchId: string, options: Omit<CancelBatchOptions, 'batchId'>) =>
      runCommand(cancelBatch, { ...options, batchId }),
    );
}

const COLUMNS = ['machine', 'status', 'exitCode', 'taskId', 'output'];

export const inspectBatch: Handler<InspectBatchOptions> = async (options, client) => {
  if (!options.follow) {
    const view = await client.batches.inspect(options.batchId);
    return endWith(exitOf(view), ...(options.json ? [json(view)] : batchText(view)));
  }
  for await (const event of client.batches.watch(options.batchId)) {
    if (event.type === 'done') {
      const view = event.batch;
      return endWith(exitOf(view), options.json ? jsonLine(event) : line(summaryText(view)));
    }
    show([options.json ? jsonLine(event) : line(`${event.task.machine}: ${event.task.status}${exitText(event.task)}`)]);
  }
  throw new RdcError('RDC_INTERNAL', `following batch ${options.batchId} ended without its summary`);
};

export const cancelBatch: Handler<CancelBatchOptions> = async (options, client) => {
  if (!options.confirm) {
    const view = await client.batches.inspect(options.batchId);
    const open = view.tasks.filter((t) => ['PENDING', 'ASSIGNED', 'PROCESSING'].includes(t.status));
    return failWith(
      new RdcError(
        'RDC_INVALID_INPUT',
        `nothing cancelled: add --confirm to cancel the ${open.length} unfinished task(s) of batch ${view.batchId}`,
      ),
      options.json ? json(open) : table(rows(open), COLUMNS),
    );
  }
  const results = await client.batches.cancel(options.batchId);
  const printed = options.json
    ? json(results)
    : table(results as unknown as Record<string, unknown>[], ['taskId', 'outcome', 'status']);
  return results.some((r) => r.outcome !== 'cancelled') ? endWith(1, printed) : done(printed);
};

/** 0 when every task completed; 1 otherwise (failed, cancelled, or not finished yet). */
function exitOf(view: BatchView): number {
  return view.summary.completed === view.size ? 0 : 1;
}

function batchText(view: BatchView) {
  return [table(rows(view.tasks), COLUMNS), line(summaryText(view))];
}

function rows(tasks: readonly BatchTask[]): Record<string, unknown>[] {
  return tasks.map((t) => ({
    machine: t.machine,
    status: t.status,
    exitCode: t.exitCode ?? '-',
    taskId: t.taskId,
    output: t.outputTail.trimEnd().split('\n').at(-1) ?? '',
  }));
}

function summaryText(view: BatchView): string {
  const s = view.summary;
  return `batch ${view.batchId}: ${s.completed} completed, ${s.failed} failed, ${s.cancelled} cancelled, ${s.pending} pending of ${view.size}`;
}

function exitText(task: BatchTask): string {
  return task.exitCode === null ? '' : ` (exit ${task.exitCode})`;
}
