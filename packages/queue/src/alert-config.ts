// Where alerts go and when they fire: webhooks (per team, or of every team in a fleet-level hash) and alert rules
// (per team). Records are validated on the way in and out; ids are random, so removal finds a record by id alone,
// looking in the fleet hash and in every team the connection may read. Webhooks are read as StoredWebhook: records
// written before URLs were sealed still hold theirs in plaintext until `replaceWebhook` seals them.
import { randomBytes } from 'node:crypto';
import {
  type AlertRule,
  alertRuleSchema,
  FLEET_WEBHOOKS_KEY,
  RdcError,
  registryKeys,
  type StoredWebhook,
  storedWebhookSchema,
  type WebhookRecord,
  webhookRecordSchema,
} from '@rediacc/core';
import type { Redis } from 'ioredis';
import { isAccessRefusal } from './access.js';
import { getTeam, listTeams } from './registry.js';

export function newWebhookId(): string {
  return `wh-${randomBytes(6).toString('hex')}`;
}

export function newAlertRuleId(): string {
  return `ar-${randomBytes(6).toString('hex')}`;
}

function webhooksKey(team: string | null): string {
  return team === null ? FLEET_WEBHOOKS_KEY : registryKeys.webhooks(team);
}

export async function addWebhook(redis: Redis, record: WebhookRecord): Promise<WebhookRecord> {
  const parsed = webhookRecordSchema.parse(record);
  if (parsed.team !== null) await getTeam(redis, parsed.team);
  await redis.hset(webhooksKey(parsed.team), parsed.id, JSON.stringify(parsed));
  return parsed;
}

/** Overwrites a stored webhook with its sealed form, unless it was removed meanwhile; whether it did. */
export async function replaceWebhook(redis: Redis, record: WebhookRecord): Promise<boolean> {
  const parsed = webhookRecordSchema.parse(record);
  const key = webhooksKey(parsed.team);
  if (!(await redis.hexists(key, parsed.id))) return false;
  await redis.hset(key, parsed.id, JSON.stringify(parsed));
  return true;
}

/** The webhooks that receive `team`'s alerts: the team's own and those of every team. */
export async function webhooksFor(redis: Redis, team: string): Promise<StoredWebhook[]> {
  const [own, fleet] = await Promise.all([
    redis.hgetall(registryKeys.webhooks(team)),
    redis.hgetall(FLEET_WEBHOOKS_KEY),
  ]);
  return [...parseAll(own, storedWebhookSchema), ...parseAll(fleet, storedWebhookSchema)];
}

/** One webhook of `team` (or of every team), or undefined once it was removed. */
export async function getWebhook(redis: Redis, team: string, id: string): Promise<StoredWebhook | undefined> {
  const own = await redis.hget(registryKeys.webhooks(team), id);
  const json = own ?? (await redis.hget(FLEET_WEBHOOKS_KEY, id));
  return json === null ? undefined : storedWebhookSchema.parse(JSON.parse(json));
}

/** Webhooks of one team (with those of every team), or of every team the connection may read. */
export async function listWebhooks(redis: Redis, team?: string): Promise<StoredWebhook[]> {
  if (team !== undefined) {
    await getTeam(redis, team);
    return webhooksFor(redis, team);
  }
  const fleet = parseAll(await redis.hgetall(FLEET_WEBHOOKS_KEY), storedWebhookSchema);
  const perTeam = await readEachTeam(redis, (t) => redis.hgetall(registryKeys.webhooks(t)));
  return [...fleet, ...perTeam.flatMap((hash) => parseAll(hash, storedWebhookSchema))];
}

/** Removes a webhook; RDC_WEBHOOK_UNKNOWN when no readable team (nor the fleet) has it. */
export async function removeWebhook(redis: Redis, id: string): Promise<StoredWebhook> {
  const found = (await listWebhooks(redis)).find((w) => w.id === id);
  if (!found) throw new RdcError('RDC_WEBHOOK_UNKNOWN', `no webhook has id ${id}`);
  await redis.hdel(webhooksKey(found.team), id);
  return found;
}

export async function addAlertRule(redis: Redis, rule: AlertRule): Promise<AlertRule> {
  const parsed = alertRuleSchema.parse(rule);
  await getTeam(redis, parsed.team);
  await redis.hset(registryKeys.alertRules(parsed.team), parsed.id, JSON.stringify(parsed));
  return parsed;
}

/** The rules of one team, or of every team the connection may read. */
export async function listAlertRules(redis: Redis, team?: string): Promise<AlertRule[]> {
  if (team !== undefined) {
    await getTeam(redis, team);
    return parseAll(await redis.hgetall(registryKeys.alertRules(team)), alertRuleSchema);
  }
  const perTeam = await readEachTeam(redis, (t) => redis.hgetall(registryKeys.alertRules(t)));
  return perTeam.flatMap((hash) => parseAll(hash, alertRuleSchema));
}

/** Removes a rule; RDC_ALERT_RULE_UNKNOWN when no readable team has it. */
export async function removeAlertRule(redis: Redis, id: string): Promise<AlertRule> {
  const found = (await listAlertRules(redis)).find((r) => r.id === id);
  if (!found) throw new RdcError('RDC_ALERT_RULE_UNKNOWN', `no alert rule has id ${id}`);
  await redis.hdel(registryKeys.alertRules(found.team), id);
  return found;
}

/** `read` for each team, skipping the teams the connection's ACL user may not read. */
async function readEachTeam<T>(redis: Redis, read: (team: string) => Promise<T>): Promise<T[]> {
  const teams = await listTeams(redis);
  const results = await Promise.all(
    teams.map((t) =>
      read(t.name).catch((error: unknown) => {
        if (isAccessRefusal(error)) return undefined;
        throw error;
      }),
    ),
  );
  return results.filter((r): r is Awaited<T> => r !== undefined);
}

function parseAll<T>(hash: Record<string, string>, schema: { parse(value: unknown): T }): T[] {
  return Object.values(hash)
    .map((json) => schema.parse(JSON.parse(json)))
    .sort((a, b) => (a as { createdAt: number }).createdAt - (b as { createdAt: number }).createdAt);
}
