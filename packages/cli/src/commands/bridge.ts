// rediacc bridge start --team T[,T2…] [--batch-size N]: runs in the foreground until SIGTERM/SIGINT,
// then stops claiming, lets running tasks finish and exits 0.
import { startBridge } from '@rediacc/bridge';
import { createLogger, loadConfig } from '@rediacc/core';
import type { Command } from 'commander';
import { integer, teamList } from '../options.js';

export function registerBridge(program: Command): void {
  program
    .command('bridge')
    .description('run a bridge worker')
    .command('start')
    .description('serve the queues of one or more teams until SIGTERM')
    .requiredOption('--team <teams>', 'team(s) to serve, comma-separated', teamList)
    .option('--batch-size <n>', 'tasks held at once per team (batch_size)', integer(1, 1_000), 10)
    .option('--name <name>', 'bridge name in logs and task records (default: host-pid)')
    .action(async (options: { team: string[]; batchSize: number; name?: string }) => {
      const config = loadConfig();
      const logger = createLogger({ name: 'bridge', level: config.logLevel });
      const bridge = await startBridge(
        {
          redisUrl: config.redisUrl,
          teams: options.team,
          batchSize: options.batchSize,
          ...(options.name && { name: options.name }),
        },
        { logger },
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info({ signal }, 'signal received');
          resolve();
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      await bridge.close();
    });
}
