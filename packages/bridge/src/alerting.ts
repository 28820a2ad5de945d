// The alert engine (@rediacc/alerts) every bridge runs for its teams: failed-task alerts and rules, delivered to
// the teams' webhooks once across the fleet. Its deliveries run in their own queue, never in a task slot, and an
// engine that cannot start (a Redis ACL user from before alerts: run `rediacc acl apply` again) is logged, not
// fatal: the bridge still runs tasks.
import { type Alerting, startAlerting } from '@rediacc/alerts';
import type { Logger } from '@rediacc/core';
import type { Redis } from 'ioredis';
import type { BridgeConfig } from './config.js';

export async function startBridgeAlerting(
  redis: Redis,
  config: BridgeConfig,
  teamKeys: ReadonlyMap<string, string>,
  logger: Logger,
): Promise<Alerting> {
  const log = logger.child({ component: 'alerts' });
  try {
    return await startAlerting({
      redis,
      teams: config.teams,
      consumer: config.name,
      teamKeys,
      logger: log,
      evaluateEveryMs: config.alertEvaluateMs,
      delivery: { backoffMs: config.alertRetryDelayMs },
    });
  } catch (error) {
    log.error(
      { err: (error as Error).message },
      'alerts are off on this bridge: the alert engine could not start (if Redis refused it, run `rediacc acl apply` again)',
    );
    return { close: async () => {} };
  }
}
