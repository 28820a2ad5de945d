// The alert engine (@rediacc/alerts) every bridge runs for its teams: failed-task alerts and rules, delivered to
// the teams' webhooks once across the fleet. Its deliveries run in their own queue, never in a task slot.
import { type Alerting, startAlerting } from '@rediacc/alerts';
import type { Logger } from '@rediacc/core';
import type { Redis } from 'ioredis';
import type { BridgeConfig } from './config.js';

export function startBridgeAlerting(
  redis: Redis,
  config: BridgeConfig,
  teamKeys: ReadonlyMap<string, string>,
  logger: Logger,
): Promise<Alerting> {
  return startAlerting({
    redis,
    teams: config.teams,
    consumer: config.name,
    teamKeys,
    logger: logger.child({ component: 'alerts' }),
    evaluateEveryMs: config.alertEvaluateMs,
    delivery: { backoffMs: config.alertRetryDelayMs },
  });
}
