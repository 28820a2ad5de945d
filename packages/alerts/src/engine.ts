// startAlerting: the alert engine for a set of teams. Every few seconds it turns new entries of each team's
// alerts stream into alerts and evaluates the team's rules; each alert message (firing, resolved) is written to the
// alert log and queued for delivery to the team's webhooks by exactly one engine, however many run (every bridge
// runs one for its teams; a dashboard may run one too, since a dead bridge cannot report itself).
import { type AlertEvent, type Logger, RdcError } from '@rediacc/core';
import { appendAlertLog, TeamQueues } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { TeamSnapshot } from './conditions.js';
import { DEFAULT_DELIVERY, Deliveries, type DeliveryOptions } from './delivery.js';
import { evaluateRules } from './rule-state.js';
import { ackTaskAlerts, ensureGroup, takeTaskAlerts } from './task-alerts.js';

export interface AlertingOptions {
  /** A connection made for workers (maxRetriesPerRequest: null); the engine does not close it. */
  redis: Redis;
  teams: readonly string[];
  /** Unique per engine: its name in the alerts stream's consumer group (a bridge passes its name). */
  consumer: string;
  /**
   * team → vault secret key, to open webhooks' sealed secrets. This engine sends the deliveries of these teams only;
   * for the others it evaluates and queues, and an engine holding the key sends them.
   */
  teamKeys?: ReadonlyMap<string, string>;
  logger: Logger;
  /** How often streams are read and rules evaluated (default 5 s). */
  evaluateEveryMs?: number;
  /** How long a stream entry another engine took may stay unacknowledged before this one claims it (default 60 s). */
  claimIdleMs?: number;
  delivery?: Partial<DeliveryOptions>;
}

export interface Alerting {
  /** Stops evaluating and delivering; deliveries in flight finish first. Idempotent. */
  close(): Promise<void>;
}

export async function startAlerting(options: AlertingOptions): Promise<Alerting> {
  const { redis, teams, logger } = options;
  const everyMs = options.evaluateEveryMs ?? 5_000;
  const claimIdleMs = options.claimIdleMs ?? 60_000;
  if (!(everyMs >= 100)) throw new RdcError('RDC_CONFIG_INVALID', 'alert evaluateEveryMs must be at least 100');
  for (const team of teams) await ensureGroup(redis, team);
  const delivery = { ...DEFAULT_DELIVERY, ...options.delivery };
  const deliveries = new Deliveries(redis, teams, options.teamKeys ?? new Map(), delivery, logger);
  const queues = new TeamQueues(redis);
  const emit = async (event: AlertEvent) => {
    await appendAlertLog(redis, event);
    const webhooks = await deliveries.enqueue(event);
    logger.info({ team: event.team, alert: event.id, state: event.state, kind: event.kind, webhooks }, 'alert');
  };

  const tick = async (team: string) => {
    const taken = await takeTaskAlerts(redis, team, options.consumer, claimIdleMs);
    for (const { event } of taken) await emit(event);
    // Acknowledged once logged and queued: an engine that dies before this leaves them for another to claim.
    const entryIds = taken.map((t) => t.entryId);
    await ackTaskAlerts(redis, team, entryIds);
    await evaluateRules(redis, new TeamSnapshot(redis, queues, team), emit);
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const loop = () => {
    running = (async () => {
      for (const team of teams) {
        if (stopped) return;
        await tick(team).catch((error: Error) =>
          logger.warn({ team, err: error.message }, 'alert evaluation failed; trying again next round'),
        );
      }
    })();
    running.finally(() => {
      if (!stopped) timer = setTimeout(loop, everyMs);
    });
  };
  loop();

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
        await deliveries.close();
        await queues.close();
      })();
      return closing;
    },
  };
}
