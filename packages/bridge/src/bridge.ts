// A bridge: per team, one BullMQ worker per lane queue (team-lanes.ts), a shared SSH pool, and an orderly
// close: stop claiming, let running tasks finish, close connections.
import { createLogger, type Logger, type MachineRecord, parseInput } from '@rediacc/core';
import { createRedis, getMachine, getTeam, recordAlert, waitReady } from '@rediacc/queue';
import { UnrecoverableError } from 'bullmq';
import { type BridgeConfig, type BridgeConfigInput, bridgeConfigSchema } from './config.js';
import { SshPool } from './ssh-pool.js';
import { taskProcessor } from './task-processor.js';
import { startTeamLanes } from './team-lanes.js';

export interface Bridge {
  readonly config: BridgeConfig;
  /** Stops claiming, waits for running tasks, closes connections. Idempotent. */
  close(): Promise<void>;
}

export async function startBridge(input: BridgeConfigInput, options: { logger?: Logger } = {}): Promise<Bridge> {
  const config = parseInput(bridgeConfigSchema, input, 'bridge configuration');
  const logger = (options.logger ?? createLogger({ name: 'bridge' })).child({ bridge: config.name });
  const redis = createRedis(config.redisUrl, 'worker');
  try {
    await waitReady(redis, config.redisUrl);
    // A bridge for a team that does not exist would wait forever on an empty queue: say so at start.
    for (const team of config.teams) await getTeam(redis, team);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const pool = new SshPool(config);
  const machines = new Map<string, { record: MachineRecord; expires: number }>();
  const machine = async (team: string, name: string): Promise<MachineRecord> => {
    const key = `${team}/${name}`;
    const hit = machines.get(key);
    if (hit && hit.expires > Date.now()) return hit.record;
    const record = await getMachine(redis, team, name);
    machines.set(key, { record, expires: Date.now() + config.registryTtlMs });
    return record;
  };
  const processor = taskProcessor({ config, pool, machine, logger });
  const lanes = startTeamLanes({
    config,
    processor,
    machine,
    logger,
    workerOptions: { connection: redis, name: config.name },
  });
  for (const { team, worker } of lanes.workers) {
    worker.on('error', (error) => logger.error({ team, err: error.message }, 'worker error'));
    worker.on('failed', (job, error) => {
      if (job?.data?.failureAction !== 'alert') return;
      const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      if (!final) return;
      const alert = {
        taskId: String(job.id),
        team,
        machine: String(job.data.machine),
        error: error.message,
        attempts: job.attemptsMade,
        at: Date.now(),
      };
      logger.error(alert, 'task failed for good: alert');
      recordAlert(redis, alert).catch((e: Error) =>
        logger.error({ err: e.message, taskId: alert.taskId }, 'could not record alert'),
      );
    });
  }
  await lanes.ready();
  logger.info(
    {
      teams: config.teams,
      batchSize: config.batchSize,
      criticalSlots: config.criticalSlots,
      maxPerMachine: config.maxPerMachine,
    },
    'bridge started',
  );

  let closing: Promise<void> | undefined;
  return {
    config,
    close() {
      closing ??= (async () => {
        logger.info('bridge stopping: no new tasks, waiting for running ones');
        await lanes.close();
        pool.close();
        await redis.quit().catch(() => redis.disconnect());
        logger.info('bridge stopped');
      })();
      return closing;
    },
  };
}
