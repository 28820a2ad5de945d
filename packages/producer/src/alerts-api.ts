// Webhook alerts as the SDK exposes them: webhooks and rules are added, listed and removed here, every change
// audited; a webhook's HMAC secret is sealed to its team's public key on this side, so neither Redis nor any
// listing ever holds it in plaintext; so is its URL (webhook-sealing.ts). `list` reads the alert log (what fired and resolved, newest first).
import {
  type AlertEvent,
  type AlertRule,
  type AuditAction,
  alertForSchema,
  alertRuleIdSchema,
  parseInput,
  RdcError,
  seal,
  teamNameSchema,
  thresholdSchema,
  type WebhookInfo,
  type WebhookRecord,
  webhookIdSchema,
  webhookSecretSchema,
  webhookUrlHint,
  webhookUrlSchema,
} from '@rediacc/core';
import {
  addAlertRule,
  addWebhook,
  getTeam,
  listAlertRules,
  listTeams,
  listWebhooks,
  newAlertRuleId,
  newWebhookId,
  readAlertLog,
  readableTeams,
  removeAlertRule,
  removeWebhook,
} from '@rediacc/queue';
import type { Redis } from 'ioredis';
import type { AuditTrail } from './audit-trail.js';
import { teamPublicKey } from './vault-api.js';
import { sealPlaintext, sealUrl, webhookInfo } from './webhook-sealing.js';

export interface NewWebhook {
  url: string;
  /** Only this team's alerts; omit for every team's (then no secret: it would have no team key to seal to). */
  team?: string | undefined;
  /** HMAC key for the signature header. Sealed to the team's key before it leaves this process. */
  secret?: string | undefined;
}

/** A rule: `pending-above` needs a threshold; every kind needs how long its condition must hold (e.g. '2m'). */
export interface NewAlertRule {
  team: string;
  kind: AlertRule['kind'];
  threshold?: number | undefined;
  for: string;
}

export class Alerts {
  constructor(
    private readonly redis: Redis,
    private readonly audit: AuditTrail,
  ) {}

  async addWebhook(input: NewWebhook): Promise<WebhookInfo> {
    const url = parseInput(webhookUrlSchema, input.url, 'webhook URL');
    const team = input.team === undefined ? null : parseInput(teamNameSchema, input.team, 'team name');
    let sealedSecret: string | null = null;
    if (input.secret !== undefined) {
      const secret = parseInput(webhookSecretSchema, input.secret, 'webhook secret');
      if (team === null) {
        throw new RdcError(
          'RDC_INVALID_INPUT',
          "a signed webhook needs --team: its secret is sealed to that team's vault key (a webhook of every team is unsigned)",
        );
      }
      sealedSecret = seal(secret, teamPublicKey(await getTeam(this.redis, team)));
    }
    const record: WebhookRecord = {
      id: newWebhookId(),
      urlHint: webhookUrlHint(url),
      sealedUrls: await sealUrl(this.redis, url, team),
      team,
      sealedSecret,
      createdAt: Date.now(),
      createdBy: await this.audit.actorName(),
    };
    const teams = await this.auditedTeams(team);
    const target = (t: string) => ({ team: t, action: 'alert.webhook.add' as AuditAction, target: record.id });
    await addWebhook(this.redis, record).catch(async (error: unknown) => {
      if (team !== null) await this.audit.refused(error, target(team));
      throw error;
    });
    await this.audit.record(
      teams.map((t) => ({ ...target(t), outcome: 'ok', detail: { signed: sealedSecret !== null } })),
    );
    return webhookInfo(record);
  }

  /**
   * Webhooks of `team` (with those of every team), or of every team this connection may read. A webhook stored with
   * its URL in plaintext by an older version is sealed now (audited as alert.webhook.seal).
   */
  async listWebhooks(team?: string): Promise<WebhookInfo[]> {
    if (team !== undefined) parseInput(teamNameSchema, team, 'team name');
    return (await sealPlaintext(this.redis, this.audit, await listWebhooks(this.redis, team))).map(webhookInfo);
  }

  /** RDC_WEBHOOK_UNKNOWN when no webhook has that id. */
  async removeWebhook(id: string): Promise<WebhookInfo> {
    parseInput(webhookIdSchema, id, 'webhook id');
    const removed = await removeWebhook(this.redis, id);
    const teams = await this.auditedTeams(removed.team);
    await this.audit.record(teams.map((t) => ({ team: t, action: 'alert.webhook.remove', target: id, outcome: 'ok' })));
    return webhookInfo(removed);
  }

  async addRule(input: NewAlertRule): Promise<AlertRule> {
    const team = parseInput(teamNameSchema, input.team, 'team name');
    const forMs = parseInput(alertForSchema, input.for, '--for');
    let threshold: number | null = null;
    if (input.kind === 'pending-above') {
      if (input.threshold === undefined) {
        throw new RdcError('RDC_INVALID_INPUT', 'a pending-above rule needs a threshold (--pending-above N)');
      }
      threshold = parseInput(thresholdSchema, input.threshold, 'threshold');
    }
    const rule: AlertRule = {
      id: newAlertRuleId(),
      team,
      kind: input.kind,
      threshold,
      forMs,
      createdAt: Date.now(),
      createdBy: await this.audit.actorName(),
    };
    const target = { team, action: 'alert.rule.add', target: rule.id } as const;
    await addAlertRule(this.redis, rule).catch(async (error: unknown) => {
      await this.audit.refused(error, target);
      throw error;
    });
    await this.audit.record([{ ...target, outcome: 'ok', detail: { kind: rule.kind, forMs, threshold } }]);
    return rule;
  }

  async listRules(team?: string): Promise<AlertRule[]> {
    if (team !== undefined) parseInput(teamNameSchema, team, 'team name');
    return listAlertRules(this.redis, team);
  }

  /** RDC_ALERT_RULE_UNKNOWN when no rule has that id. A firing alert of the rule resolves at the next evaluation. */
  async removeRule(id: string): Promise<AlertRule> {
    parseInput(alertRuleIdSchema, id, 'rule id');
    const removed = await removeAlertRule(this.redis, id);
    await this.audit.record([{ team: removed.team, action: 'alert.rule.remove', target: id, outcome: 'ok' }]);
    return removed;
  }

  /** Recent alert messages (firing and resolved), newest first: of one team, or of every team this may read. */
  async list(options: { team?: string | undefined; limit?: number | undefined } = {}): Promise<AlertEvent[]> {
    const limit = options.limit ?? 50;
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= 1_000)) {
      throw new RdcError('RDC_INVALID_INPUT', `limit must be a whole number from 1 to 1000, not ${limit}`);
    }
    let teams: string[];
    if (options.team !== undefined) {
      await getTeam(this.redis, parseInput(teamNameSchema, options.team, 'team name'));
      teams = [options.team];
    } else {
      teams = await readableTeams(
        this.redis,
        (await listTeams(this.redis)).map((t) => t.name),
      );
    }
    const events = (await Promise.all(teams.map((t) => readAlertLog(this.redis, t, limit)))).flat();
    return events.sort((a, b) => b.at - a.at).slice(0, limit);
  }

  /** The team logs a change is recorded in: its team's, or every team's for a webhook of every team. */
  private async auditedTeams(team: string | null): Promise<string[]> {
    return team !== null ? [team] : (await listTeams(this.redis)).map((t) => t.name);
  }
}
