// A webhook's URL is a secret too (Slack, Discord and others carry the credential in it): it is sealed to the vault
// public key of each team whose alerts it receives before it leaves this process, and only the URL's hint is kept
// readable. Records from before this was so (URL in plaintext) are sealed the first time a listing meets them.
import {
  isPlaintextWebhook,
  type PlaintextWebhookRecord,
  type StoredWebhook,
  seal,
  type TeamRecord,
  type WebhookInfo,
  type WebhookRecord,
  webhookUrlHint,
} from '@rediacc/core';
import { getTeam, isAccessRefusal, listTeams, replaceWebhook } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import type { AuditTrail } from './audit-trail.js';
import { teamPublicKey } from './vault-api.js';

/** team → URL sealed to its key: the team's own, or for a webhook of every team, each team's that has a key. */
export async function sealUrl(redis: Redis, url: string, team: string | null): Promise<Record<string, string>> {
  if (team !== null) return { [team]: seal(url, teamPublicKey(await getTeam(redis, team))) };
  const teams = (await listTeams(redis)).filter((t): t is TeamRecord & { publicKey: string } => !!t.publicKey);
  return Object.fromEntries(teams.map((t) => [t.name, seal(url, t.publicKey)]));
}

/**
 * Seals the plaintext records among `stored` in Redis (audited) and returns the records as they now are. A user
 * who may not write them (a viewer) leaves them for an admin; until then no engine delivers to them.
 */
export async function sealPlaintext(
  redis: Redis,
  audit: AuditTrail,
  stored: readonly StoredWebhook[],
): Promise<StoredWebhook[]> {
  const sealed: StoredWebhook[] = [];
  for (const record of stored) {
    if (!isPlaintextWebhook(record)) {
      sealed.push(record);
      continue;
    }
    const replacement = await sealedForm(redis, record);
    const replaced = await replaceWebhook(redis, replacement).catch((error: unknown) => {
      if (isAccessRefusal(error)) return 'refused' as const;
      throw error;
    });
    if (replaced === 'refused') {
      sealed.push(record);
      continue;
    }
    if (!replaced) continue;
    const teams = Object.keys(replacement.sealedUrls);
    await audit.record(teams.map((t) => ({ team: t, action: 'alert.webhook.seal', target: record.id, outcome: 'ok' })));
    sealed.push(replacement);
  }
  return sealed;
}

async function sealedForm(redis: Redis, record: PlaintextWebhookRecord): Promise<WebhookRecord> {
  const { url, ...rest } = record;
  return { ...rest, urlHint: webhookUrlHint(url), sealedUrls: await sealUrl(redis, url, record.team) };
}

/** What listings show: the URL's hint as `url`, whether it signs; never a sealed value. */
export function webhookInfo(record: StoredWebhook): WebhookInfo {
  const signed = record.sealedSecret !== null;
  const { id, team, createdAt, createdBy } = record;
  const url = isPlaintextWebhook(record) ? webhookUrlHint(record.url) : record.urlHint;
  return { id, team, url, signed, createdAt, createdBy };
}
