// Team upkeep a bridge does beside running tasks: it turns schedule triggers into tasks (one BullMQ worker per team
// on the team's schedule queue: each trigger goes to one bridge) and archives finished tasks past their retention.
// Hooked in bridge.ts next to the alert engine; nothing here touches the run path. Failures are logged, never fatal.
import {
  type AuditAction,
  type AuditOutcome,
  type Logger,
  SCHEDULE_QUEUE,
  scheduleTriggerSchema,
  teamPrefix,
} from '@rediacc/core';
import { runSchedule, TeamQueues } from '@rediacc/queue';
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

export function startUpkeep(options: { redis: Redis; teams: readonly string[]; audit: Audit; logger: Logger }): Upkeep {
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
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        await Promise.all(workers.map((w) => w.close()));
        await queues.close();
      })();
      return closing;
    },
  };
}
