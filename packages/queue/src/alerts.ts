// Alerts: a capped Redis stream per team of tasks that failed for good with failureAction "alert".
// The alert engine (@rediacc/alerts) reads them through a consumer group and delivers them to webhooks.

import { registryKeys } from '@rediacc/core';
import type { Redis } from 'ioredis';

export const ALERTS_KEPT = 10_000;

export interface Alert {
  taskId: string;
  team: string;
  machine: string;
  error: string;
  attempts: number;
  at: number;
}

export async function recordAlert(redis: Redis, alert: Alert): Promise<void> {
  await redis.xadd(
    registryKeys.alerts(alert.team),
    'MAXLEN',
    '~',
    ALERTS_KEPT,
    '*',
    ...Object.entries(alert).flatMap(([k, v]) => [k, String(v)]),
  );
}

export async function readAlerts(redis: Redis, team: string, count = 100): Promise<Alert[]> {
  const entries = await redis.xrevrange(registryKeys.alerts(team), '+', '-', 'COUNT', count);
  return entries.map(([, fields]) => alertFromFields(fields, team));
}

/** An alert from a stream entry's flat field list (as XRANGE and XREADGROUP return it). */
export function alertFromFields(fields: readonly string[], team: string): Alert {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  return {
    taskId: f.taskId ?? '',
    team: f.team ?? team,
    machine: f.machine ?? '',
    error: f.error ?? '',
    attempts: Number(f.attempts ?? 0),
    at: Number(f.at ?? 0),
  };
}
