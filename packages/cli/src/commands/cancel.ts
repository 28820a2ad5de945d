// rediacc cancel queue ID [ID…] --confirm. Without --confirm it lists what it would cancel and exits 2,
// so a mistyped id never cancels anything by surprise.
import { RdcError, taskIdSchema } from '@rediacc/core';
import type { Command } from 'commander';
import { withClient } from '../context.js';
import { repeatable } from '../options.js';
import { type OutputOptions, printJson, printTable } from '../output.js';

export function registerCancel(program: Command): void {
  program
    .command('cancel')
    .description('cancel things (cancel queue ID…)')
    .command('queue')
    .argument('<taskIds...>', 'task ids printed by create task', repeatable(taskIdSchema))
    .option('--confirm', 'really cancel (without it, only show what would be cancelled)')
    .option('--json', 'machine-readable output (an array of per-task results)')
    .description('cancel tasks: PENDING ones never run, running ones are killed on their machine')
    .action((taskIds: string[], options: OutputOptions & { confirm?: boolean }) =>
      withClient(async (client) => {
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
          if (options.json) printJson(rows);
          else printTable(rows, ['taskId', 'status', 'machine', 'command']);
          throw new RdcError(
            'RDC_INVALID_INPUT',
            `nothing cancelled: add --confirm to cancel ${taskIds.length} task(s)`,
          );
        }
        const results = await client.tasks.cancel(taskIds);
        if (options.json) printJson(results);
        else printTable(results as unknown as Record<string, unknown>[], ['taskId', 'outcome', 'status']);
        if (results.some((r) => r.outcome !== 'cancelled')) process.exitCode = 1;
      }),
    );
}
