// rediacc cancel queue ID [ID…] --confirm. Without --confirm it lists what it would cancel and exits 2,
// so a mistyped id never cancels anything by surprise.
import { RdcError, taskIdSchema } from '@rediacc/core';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { repeatable } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, endWith, failWith, json, table } from '../result.js';

export interface CancelOptions extends OutputOptions {
  taskIds: string[];
  confirm?: boolean;
}

/** Exit 0 when every task was cancelled, 1 when one was not (already finished, unknown); 2 without --confirm. */
export const cancelQueue: Handler<CancelOptions> = async (options, client) => {
  const { taskIds } = options;
  if (!options.confirm) {
    const rows = await Promise.all(
      taskIds.map(async (taskId) => {
        const view = await client.tasks.inspect(taskId).catch(() => undefined);
        return {
          taskId,
          status: view?.status ?? 'UNKNOWN',
          machine: view?.machine ?? '-',
          command: view?.command ?? '-',
        };
      }),
    );
    return failWith(
      new RdcError('RDC_INVALID_INPUT', `nothing cancelled: add --confirm to cancel ${taskIds.length} task(s)`),
      options.json ? json(rows) : table(rows, ['taskId', 'status', 'machine', 'command']),
    );
  }
  const results = await client.tasks.cancel(taskIds);
  const printed = options.json
    ? json(results)
    : table(results as unknown as Record<string, unknown>[], ['taskId', 'outcome', 'status']);
  return results.some((r) => r.outcome !== 'cancelled') ? endWith(1, printed) : done(printed);
};

export function registerCancel(program: Command): void {
  program
    .command('cancel')
    .description('cancel things (cancel queue ID…)')
    .command('queue')
    .argument('<taskIds...>', 'task ids printed by create task', repeatable(taskIdSchema))
    .option('--confirm', 'really cancel (without it, only show what would be cancelled)')
    .option('--json', 'machine-readable output (an array of per-task results)')
    .description('cancel tasks: PENDING ones never run, running ones are killed on their machine')
    .action((taskIds: string[], options: Omit<CancelOptions, 'taskIds'>) =>
      runCommand(cancelQueue, { ...options, taskIds }),
    );
}
