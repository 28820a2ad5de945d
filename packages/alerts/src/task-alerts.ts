// Source (a): the team's `alerts` stream (tasks that failed for good with failureAction "alert"), read through one
// consumer group shared by every engine, so each entry goes to one engine; entries a dead engine took but never
// acknowledged are claimed by another once idle for `claimIdleMs`. The group starts at the stream's end when it
// is first created: alerts recorded before any engine ran are not sent to webhooks added since.

import type { AlertEvent } from '@rediacc/core';
import { registryKeys } from '@rediacc/core';
import { alertFromFields } from '@rediacc/queue';
import type { Redis } from 'ioredis';

export const ALERTS_GROUP = 'rdc-alerting';
const BATCH = 50;

type Entry = [id: string, fields: string[]];

export async function ensureGroup(redis: Redis, team: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', registryKeys.alerts(team), ALERTS_GROUP, '$', 'MKSTREAM');
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
  }
}

/** Entries this engine should turn into alerts now: the idle ones of dead consumers, then new ones. */
export async function takeTaskAlerts(
  redis: Redis,
  team: string,
  consumer: string,
  claimIdleMs: number,
): Promise<{ entryId: string; event: AlertEvent }[]> {
  const key = registryKeys.alerts(team);
  const claimed = (await redis.xautoclaim(key, ALERTS_GROUP, consumer, claimIdleMs, '0-0', 'COUNT', BATCH)) as [
    string,
    Entry[],
  ];
  const read = (await redis.xreadgroup('GROUP', ALERTS_GROUP, consumer, 'COUNT', BATCH, 'STREAMS', key, '>')) as
    | [string, Entry[]][]
    | null;
  const entries = [...(claimed[1] ?? []), ...(read?.[0]?.[1] ?? [])].filter(([, fields]) => Array.isArray(fields));
  const now = Date.now();
  return entries.map(([entryId, fields]) => {
    const alert = alertFromFields(fields, team);
    const event: AlertEvent = {
      id: `task-${entryId}`,
      state: 'firing',
      team,
      kind: 'task-failed',
      rule: null,
      subject: alert.taskId,
      summary: `task ${alert.taskId} on machine ${alert.machine} failed for good after ${alert.attempts} attempt(s): ${alert.error}`,
      since: alert.at || now,
      at: now,
    };
    return { entryId, event };
  });
}

export async function ackTaskAlerts(redis: Redis, team: string, entryIds: readonly string[]): Promise<void> {
  if (entryIds.length > 0) await redis.xack(registryKeys.alerts(team), ALERTS_GROUP, ...entryIds);
}
