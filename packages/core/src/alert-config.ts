// Webhook alerts: what a webhook, an alert rule and an alert event are. A webhook's HMAC secret is sealed to its
// team's vault public key before it is stored (only the team's bridges can open it to sign), so a record never
// holds it in plaintext. A webhook without a team receives every team's alerts and is never signed.
import { z } from 'zod';
import { durationSchema } from './duration.js';
import { teamNameSchema } from './names.js';

/** http(s) URLs only: a webhook is a JSON POST. */
export const webhookUrlSchema = z
  .string({ error: 'webhook URL must be a string' })
  .max(2_048, 'webhook URL must be at most 2048 characters')
  .refine((text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'webhook URL must be an http:// or https:// URL, for example https://hooks.example.com/rediacc');

/** An HMAC key: printable, one line, 16 to 1024 characters. */
export const webhookSecretSchema = z
  .string({ error: 'webhook secret must be a string' })
  .min(16, 'webhook secret must be at least 16 characters (use a random one, e.g. `openssl rand -hex 32`)')
  .max(1_024, 'webhook secret must be at most 1024 characters')
  .regex(/^[\x21-\x7e]+$/, 'webhook secret must be printable ASCII without spaces or newlines');

export const webhookIdSchema = z
  .string({ error: 'webhook id must be a string' })
  .regex(/^wh-[0-9a-f]{12}$/, 'webhook id looks like wh-0123456789ab (see `rediacc alert webhook list`)');

export const alertRuleIdSchema = z
  .string({ error: 'rule id must be a string' })
  .regex(/^ar-[0-9a-f]{12}$/, 'rule id looks like ar-0123456789ab (see `rediacc alert rule list`)');

export const webhookRecordSchema = z.object({
  id: webhookIdSchema,
  /** What a listing shows of the URL: scheme://host/ and the path's last characters (webhookUrlHint). */
  urlHint: z.string(),
  /**
   * team → the URL sealed to that team's vault public key: some services carry a credential in the URL, so it is
   * never stored in plaintext. One entry for a team's webhook; for a webhook of every team, one per team that
   * existed when it was added.
   */
  sealedUrls: z.record(teamNameSchema, z.string()),
  /** null: every team's alerts, unsigned. */
  team: teamNameSchema.nullable(),
  /** The HMAC secret sealed to the team's vault public key, or null for an unsigned webhook. */
  sealedSecret: z.string().nullable(),
  createdAt: z.number(),
  createdBy: z.string().nullable(),
});
export type WebhookRecord = z.infer<typeof webhookRecordSchema>;
/** A record as versions before sealed URLs stored it: the URL in plaintext. Read only to be sealed (or refused). */
export const plaintextWebhookRecordSchema = webhookRecordSchema
  .omit({ urlHint: true, sealedUrls: true })
  .extend({ url: webhookUrlSchema });
export type PlaintextWebhookRecord = z.infer<typeof plaintextWebhookRecordSchema>;
export type StoredWebhook = WebhookRecord | PlaintextWebhookRecord;
export const storedWebhookSchema = z.union([webhookRecordSchema, plaintextWebhookRecordSchema]);

export function isPlaintextWebhook(record: StoredWebhook): record is PlaintextWebhookRecord {
  return 'url' in record;
}

/** A webhook as listings show it: its URL redacted (`url` is the hint), whether it signs, never a sealed value. */
export type WebhookInfo = Omit<WebhookRecord, 'sealedSecret' | 'sealedUrls' | 'urlHint'> & {
  url: string;
  signed: boolean;
};

/** The path (and query) is shown by its last 4 characters only when it is long enough to keep most of it hidden. */
const HINT_MIN_PATH = 16;

/** `https://hooks.slack.com/…/a1b2`: scheme, host and port, never user info, and at most the path's last 4 chars. */
export function webhookUrlHint(url: string): string {
  const parsed = new URL(url);
  const origin = `${parsed.protocol}//${parsed.host}/`;
  const rest = `${parsed.pathname}${parsed.search}`.replace(/^\//, '');
  if (rest === '') return origin;
  return rest.length >= HINT_MIN_PATH ? `${origin}…/${rest.slice(-4)}` : `${origin}…`;
}

export const ALERT_RULE_KINDS = ['pending-above', 'no-bridge', 'machine-unreachable'] as const;
export type AlertRuleKind = (typeof ALERT_RULE_KINDS)[number];

/** How many pending tasks a pending-above rule allows before it fires. */
export const thresholdSchema = z
  .number({ error: 'threshold must be a number' })
  .int('threshold must be a whole number')
  .min(0, 'threshold must be 0 or more')
  .max(100_000_000, 'threshold must be at most 100000000');

/** How long a condition must hold before it fires: at least a second, at most a week. */
export const alertForSchema = durationSchema.refine((ms) => ms <= 7 * 86_400_000, 'alert duration must be at most 7d');

export const alertRuleSchema = z.object({
  id: alertRuleIdSchema,
  team: teamNameSchema,
  kind: z.enum(ALERT_RULE_KINDS),
  /** pending-above only: fires while the team has more pending tasks than this. */
  threshold: thresholdSchema.nullable(),
  /** The condition must hold this long (ms) before the rule fires. */
  forMs: z.number().int().positive(),
  createdAt: z.number(),
  createdBy: z.string().nullable(),
});
export type AlertRule = z.infer<typeof alertRuleSchema>;

export const ALERT_KINDS = ['task-failed', ...ALERT_RULE_KINDS] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** One delivery's body, and one line of `alert list`. */
export const alertEventSchema = z.object({
  /** Stable per alert: the firing and the resolved message of one alert share it. */
  id: z.string().regex(/^[A-Za-z0-9._-]{1,160}$/),
  state: z.enum(['firing', 'resolved']),
  team: teamNameSchema,
  kind: z.enum(ALERT_KINDS),
  /** The rule that fired, or null for a failed task. */
  rule: z.string().nullable(),
  /** What the alert is about: a task id, a machine name, or the team's queue. */
  subject: z.string(),
  summary: z.string(),
  /** When the condition started (ms). */
  since: z.number(),
  /** When this message was made (ms). */
  at: z.number(),
});
export type AlertEvent = z.infer<typeof alertEventSchema>;
