// Team upkeep a bridge does beside running tasks: it turns schedule triggers into tasks or batches (one BullMQ worker per team
// on the team's schedule queue: each trigger goes to one bridge) and archives finished tasks past their retention
// (every `archiveEveryMs`, by whichever bridge holds the team's archive lease; archive.ts makes a pass safe to kill).
// Hooked in bridge.ts next to the alert engine; nothing here touches the run path. Failures are logged, never fatal.
import {
  type AuditAction,
  type AuditOutcome,
  type Logger,
  registryKeys,
  SCHEDULE_QUEUE,
  scheduleTriggerSchema,
  teamPrefix,
} from '@rediacc/core';
import { archiveTeam, runSchedule, TeamQueues } from '@rediacc/queue';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';

type Audit = (
  team: string,
  action: AuditAction,
  target: string,
  outcome: AuditOutcome,
  detail: Record<string, string | number | boolean | null>,
) => void;

export interface Upkeep {
  close(): Promise<void>;
}

/**
 * Test hook: with RDC_TEST_ARCHIVE_STALL=1 the archiver stops for good between appending tasks to the archive and
 * removing them from the queue, so a test can kill the bridge exactly there.
 */
const STALL_AFTER_APPEND = process.env.RDC_TEST_ARCHIVE_STALL === '1';

export function startUpkeep(options: {
  redis: Redis;
  teams: readonly string[];
  bridge: string;
  archiveEveryMs: number;
  audit: Audit;
  logger: Logger;
}): Upkeep {
  const { redis, audit } = options;
  const logger = options.logger.child({ component: 'upkeep' });
  const queues = new TeamQueues(redis);
  const workers = options.teams.map((team) => {
    const worker = new Worker(
      SCHEDULE_QUEUE,
      async (job) => {
        const { schedule } = scheduleTriggerSchema.parse(job.data);
        const run = await runSchedule(redis, queues, team, schedule, String(job.id));
        switch (run.outcome) {
          case 'queued':
            audit(team, 'schedule.run', schedule, 'ok', { taskId: run.taskId });
            break;
          case 'batch':
            // A fan-out schedule's run: one batch over the machines matching now.
            audit(team, 'schedule.run', schedule, 'ok', { batchId: run.batchId, tasks: run.taskIds.length });
            break;
          case 'skipped':
            // The previous run is still going and the schedule's overlap policy is "skip".
            audit(team, 'schedule.skip', schedule, 'ok', { running: run.runningTaskId });
            logger.info({ team, schedule, running: run.runningTaskId }, 'schedule run skipped: previous run going');
            break;
          case 'gone':
            break;
          default:
            run satisfies never;
        }
      },
      { connection: redis, prefix: teamPrefix(team), concurrency: 1 },
    );
    worker.on('error', (error) => logger.warn({ team, err: error.message }, 'schedule worker error'));
    worker.on('failed', (job, error) =>
      logger.error({ team, trigger: job?.id, err: error.message }, 'schedule run failed'),
    );
    return worker;
  });
  let stopped = false;
  let pass: Promise<void> | undefined;
  const archiveAll = async () => {
    for (const team of options.teams) {
      if (stopped) return;
      // One archiver per team at a time; the lease outlives a slow pass's round trips, not a dead bridge for long.
      const lease = registryKeys.archiveLease(team);
      if ((await redis.set(lease, options.bridge, 'PX', options.archiveEveryMs * 5, 'NX')) !== 'OK') continue;
      const result = await archiveTeam(redis, queues, team, {
        now: Date.now(),
        ...(STALL_AFTER_APPEND && {
          afterAppend: () => {
            logger.warn({ team }, 'RDC_TEST_ARCHIVE_STALL: stalled between archive and removal');
            return new Promise<void>(() => {});
          },
        }),
      });
      if ((await redis.get(lease)) === options.bridge) await redis.del(lease);
      if (result.archived + result.recovered > 0) logger.info({ team, ...result }, 'archived finished tasks');
    }
  };
  const timer = setInterval(() => {
    if (pass) return;
    pass = archiveAll()
      .catch((error: Error) => logger.error({ err: error.message }, 'archiving finished tasks failed'))
      .finally(() => {
        pass = undefined;
      });
  }, options.archiveEveryMs);
  timer.unref();
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        stopped = true;
        clearInterval(timer);
        if (!STALL_AFTER_APPEND) await pass;
        await Promise.all(workers.map((w) => w.close()));
        await queues.close();
      })();
      return closing;
    },
  };
}
