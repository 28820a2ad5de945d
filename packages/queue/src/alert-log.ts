// The alert log: a capped stream per team of every alert event (firing, resolved), newest read first by
// `alert list` and the console. Written by the alert engine once per event (the engine that claimed it).
import { type AlertEvent, alertEventSchema, registryKeys } from '@rediacc/core';
import type { Redis } from 'ioredis';

export const ALERT_LOG_KEPT = 10_000;

export async function appendAlertLog(redis: Redis, event: AlertEvent): Promise<void> {
  await redis.xadd(
    registryKeys.alertLog(event.team),
    'MAXLEN',
    '~',
    ALERT_LOG_KEPT,
    '*',
    'event',
    JSON.stringify(event),
  );
}

/** The newest `limit` events of a team, newest first. */
export async function readAlertLog(redis: Redis, team: string, limit: number): Promise<AlertEvent[]> {
  const entries = await redis.xrevrange(registryKeys.alertLog(team), '+', '-', 'COUNT', limit);
  return entries.flatMap(([, fields]) => {
    const json = fields[fields.indexOf('event') + 1];
    if (fields.indexOf('event') < 0 || json === undefined) return [];
    const parsed = alertEventSchema.safeParse(JSON.parse(json));
    return parsed.success ? [parsed.data] : [];
  });
}
