// rediacc bridge start --team T[,T2…] [--batch-size N]: runs in the foreground until SIGTERM/SIGINT, then stops
// claiming, lets running tasks finish within --grace, hands the rest back (or kills them) and exits 0.
import { startBridge } from '@rediacc/bridge';
import { createLogger, loadConfig } from '@rediacc/core';
import type { Command } from 'commander';
import { integer, oneOf, positiveNumber, teamList } from '../options.js';

export function registerBridge(program: Command): void {
  program
    .command('bridge')
    .description('run a bridge worker')
    .command('start')
    .description('serve the queues of one or more teams until SIGTERM')
    .requiredOption('--team <teams>', 'team(s) to serve, comma-separated', teamList)
    .option('--batch-size <n>', 'tasks held at once per team (batch_size)', integer(1, 1_000), 10)
    .option('--name <name>', 'bridge name in logs and task records (default: host-pid)')
    .option('--grace <seconds>', 'on SIGTERM, how long running tasks may go on', positiveNumber, 30)
    .option(
      '--on-shutdown <policy>',
      'after the grace period: handback (runs go on, another bridge re-attaches) or kill',
      oneOf(['handback', 'kill'] as const),
      'handback',
    )
    .action(
      async (options: {
        team: string[];
        batchSize: number;
        name?: string;
        grace: number;
        onShutdown: 'handback' | 'kill';
      }) => {
        const config = loadConfig();
        const logger = createLogger({ name: 'bridge', level: config.logLevel });
        const bridge = await startBridge(
          {
            redisUrl: config.redisUrl,
            teams: options.team,
            batchSize: options.batchSize,
            shutdownGraceMs: Math.round(options.grace * 1000),
            onShutdown: options.onShutdown,
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
      },
    );
}
