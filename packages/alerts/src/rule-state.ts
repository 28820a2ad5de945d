// One evaluation of a team's rules, shared by every engine: when a condition starts to hold its start time is
// kept (HSETNX in `alert-since`, so all engines agree on it); once it has held for the rule's duration, the engine
// whose HSETNX into `alert-state` succeeds owns the firing message; when the condition clears, the engine whose
// HDEL removes that field owns the one "resolved" message. Fields are `<rule id>|<subject>`.

import type { AlertEvent, AlertRule } from '@rediacc/core';
import { registryKeys } from '@rediacc/core';
import { listAlertRules } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { type Holding, holdingOf, type TeamSnapshot } from './conditions.js';

export async function evaluateRules(
  redis: Redis,
  snapshot: TeamSnapshot,
  emit: (event: AlertEvent) => Promise<void>,
  now = Date.now(),
): Promise<void> {
  const team = snapshot.team;
  const sinceKey = registryKeys.alertSince(team);
  const stateKey = registryKeys.alertState(team);
  const [rules, since, state] = await Promise.all([
    listAlertRules(redis, team),
    redis.hgetall(sinceKey),
    redis.hgetall(stateKey),
  ]);
  const holding = new Set<string>();
  for (const rule of rules) {
    for (const condition of await holdingOf(rule, snapshot)) {
      const field = `${rule.id}|${condition.subject}`;
      holding.add(field);
      const startedAt = condition.since ?? (await startedAtOf(redis, sinceKey, field, since[field], now));
      if (now - startedAt < rule.forMs || state[field] !== undefined) continue;
      const event = firing(rule, condition, startedAt, now);
      if (await redis.hsetnx(stateKey, field, JSON.stringify(event))) await emit(event);
    }
  }
  for (const field of Object.keys(since)) {
    if (!holding.has(field)) await redis.hdel(sinceKey, field);
  }
  for (const [field, json] of Object.entries(state)) {
    if (holding.has(field) || (await redis.hdel(stateKey, field)) !== 1) continue;
    const fired = JSON.parse(json) as AlertEvent;
    const gone = !rules.some((r) => r.id === fired.rule);
    await emit({
      ...fired,
      state: 'resolved',
      summary: gone ? `rule ${fired.rule} was removed: ${fired.summary}` : `resolved: ${fired.summary}`,
      at: now,
    });
  }
}

async function startedAtOf(
  redis: Redis,
  key: string,
  field: string,
  known: string | undefined,
  now: number,
): Promise<number> {
  if (known !== undefined) return Number(known);
  if (await redis.hsetnx(key, field, String(now))) return now;
  return Number((await redis.hget(key, field)) ?? now);
}

function firing(rule: AlertRule, condition: Holding, since: number, now: number): AlertEvent {
  return {
    id: `${rule.id}-${condition.subject}-${since}`,
    state: 'firing',
    team: rule.team,
    kind: rule.kind,
    rule: rule.id,
    subject: condition.subject,
    summary: `${condition.summary} (for ${Math.round((now - since) / 1000)}s)`,
    since,
    at: now,
  };
}
