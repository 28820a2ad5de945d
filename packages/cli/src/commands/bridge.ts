// rediacc bridge list (bridge-list.ts) | bridge start --team T[,T2…] [--batch-size N] [--critical-slots N] [--max-per-machine N]
// [--metrics-port P [--metrics-host H]] [--sample-interval 30s|off]: runs in the
// foreground until SIGTERM/SIGINT, then stops claiming, lets running tasks finish within --grace, hands the rest
// back (or kills them) and exits 0. The teams' vault keys come from --keys-dir (default $RDC_HOME/keys): a missing
// or wrong key fails here, at start.
import { join, resolve } from 'node:path';
import { BRIDGE_DEFAULTS, BRIDGE_LIMITS, bridgeNameSchema, startBridge } from '@rediacc/bridge';
import { createLogger, durationSchema, loadConfig, MAX_CONCURRENT_LIMIT, teamNameSchema } from '@rediacc/core';
import { type Command, InvalidArgumentError } from 'commander';
import { runCommand } from '../context.js';
import { integer, oneOf, positiveNumber, schemaFlag, teamList } from '../options.js';
import { nextStopSignal } from '../stop-signal.js';
import { type BridgeListCommandOptions, bridgeList } from './bridge-list.js';

interface BridgeStartOptions {
  team: string[];
  batchSize: number;
  criticalSlots: number;
  maxPerMachine?: number;
  name?: string;
  grace: number;
  onShutdown: 'handback' | 'kill';
  outputCap: number;
  keysDir?: string;
  metricsPort?: number;
  metricsHost?: string;
  sampleInterval?: number;
}

const durationFlag = schemaFlag(durationSchema);

/** `--sample-interval`: a duration up to an hour (30s, 1m), or 0 / off for no sampling. */
function sampleInterval(value: string): number {
  if (value === '0' || value === 'off') return 0;
  const ms = durationFlag(value);
  if (ms > 3_600_000) throw new InvalidArgumentError('sample interval must be at most 1h (or off)');
  return ms;
}

export function registerBridge(program: Command): void {
  const bridge = program.command('bridge').description('run a bridge worker, or list the live ones');
  bridge
    .command('list')
    .description('list the live bridges of the teams you may read: teams, slots busy/free, uptime, last heartbeat')
    .option('--team <team>', 'only the bridges serving this team', schemaFlag(teamNameSchema))
    .option('--json', 'machine-readable output')
    .action((options: BridgeListCommandOptions) => runCommand(bridgeList, options));
  bridge
    .command('start')
    .description('serve the queues of one or more teams until SIGTERM')
    .requiredOption('--team <teams>', 'team(s) to serve, comma-separated', teamList)
    .option(
      '--batch-size <n>',
      'P3-P5 tasks run at once per team (batch_size)',
      integer(BRIDGE_LIMITS.batchSize.min, BRIDGE_LIMITS.batchSize.max),
      BRIDGE_DEFAULTS.batchSize,
    )
    .option(
      '--critical-slots <n>',
      'extra slots per team only P1/P2 tasks may use',
      integer(BRIDGE_LIMITS.criticalSlots.min, BRIDGE_LIMITS.criticalSlots.max),
      BRIDGE_DEFAULTS.criticalSlots,
    )
    .option(
      '--max-per-machine <n>',
      'tasks one machine runs at once across the fleet (default: no limit; `machine set --max-concurrent` overrides)',
      integer(1, MAX_CONCURRENT_LIMIT),
    )
    .option('--name <name>', 'bridge name in logs and task records (default: host-pid)', schemaFlag(bridgeNameSchema))
    .option(
      '--grace <seconds>',
      'on SIGTERM, how long running tasks may go on',
      positiveNumber,
      BRIDGE_DEFAULTS.shutdownGraceMs / 1000,
    )
    .option(
      '--on-shutdown <policy>',
      'after the grace period: handback (runs go on, another bridge re-attaches) or kill',
      oneOf(['handback', 'kill'] as const),
      BRIDGE_DEFAULTS.onShutdown,
    )
    .option(
      '--output-cap <bytes>',
      'output kept per task; past it the head and the tail are kept and the cut marked',
      integer(BRIDGE_LIMITS.outputCapBytes.min, BRIDGE_LIMITS.outputCapBytes.max),
      BRIDGE_DEFAULTS.outputCapBytes,
    )
    .option('--keys-dir <dir>', "directory of the teams' vault keys, TEAM.key (default: $RDC_HOME/keys)")
    .option('--metrics-port <port>', 'serve Prometheus metrics at http://HOST:PORT/metrics', integer(0, 65_535))
    .option('--metrics-host <host>', 'address the metrics server binds to', BRIDGE_DEFAULTS.metricsHost)
    .option(
      '--sample-interval <duration>',
      'how often to sample load, memory and disk of the machines it holds connections to (default 30s; off: never)',
      sampleInterval,
    )
    .action(async (options: BridgeStartOptions) => {
      const config = loadConfig();
      const logger = createLogger({ name: 'bridge', level: config.logLevel });
      const stopped = nextStopSignal();
      const bridge = await startBridge(
        {
          redisUrl: config.redisUrl,
          teams: options.team,
          batchSize: options.batchSize,
          criticalSlots: options.criticalSlots,
          shutdownGraceMs: Math.round(options.grace * 1000),
          onShutdown: options.onShutdown,
          outputCapBytes: options.outputCap,
          keysDir: resolve(options.keysDir ?? join(config.home, 'keys')),
          ...(options.maxPerMachine !== undefined && { maxPerMachine: options.maxPerMachine }),
          ...(options.name && { name: options.name }),
          ...(options.metricsPort !== undefined && { metricsPort: options.metricsPort }),
          ...(options.metricsHost && { metricsHost: options.metricsHost }),
          ...(options.sampleInterval !== undefined && { sampleIntervalMs: options.sampleInterval }),
        },
        { logger, ...(config.actor !== undefined && { actor: config.actor }) },
      );
      logger.info({ signal: await stopped }, 'signal received');
      await bridge.close();
    });
}
