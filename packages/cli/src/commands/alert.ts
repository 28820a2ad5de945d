// rediacc alert list [--team T] [--limit N]: recent alerts, firing and resolved (webhooks and rules live in
// alert-webhook.ts and alert-rule.ts). The alert engine every bridge runs fills the log this reads.
import { teamNameSchema } from '@rediacc/core';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { integer, schemaFlag } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, json, table } from '../result.js';
import { registerAlertRule } from './alert-rule.js';
import { registerAlertWebhook } from './alert-webhook.js';

export const alertList: Handler<OutputOptions & { team?: string; limit: number }> = async (options, client) => {
  const events = await client.alerts.list({ team: options.team, limit: options.limit });
  const rows = events.map((e) => ({
    at: new Date(e.at).toISOString(),
    state: e.state,
    team: e.team,
    kind: e.kind,
    subject: e.subject,
    since: new Date(e.since).toISOString(),
    id: e.id,
    rule: e.rule,
    summary: e.summary,
  }));
  return done(options.json ? json(rows) : table(rows, ['at', 'state', 'team', 'kind', 'subject', 'since', 'summary']));
};

export function registerAlert(program: Command): void {
  const alert = program.command('alert').description('webhook alerts: failed tasks, queue depth, bridges, machines');
  alert
    .command('list')
    .option('--team <team>', "this team's alerts (default: every team this user may read)", schemaFlag(teamNameSchema))
    .option('--limit <n>', 'how many, newest first', integer(1, 1_000), 50)
    .option('--json', 'machine-readable output')
    .description('list recent alerts (firing and resolved), newest first')
    .action((options: OutputOptions & { team?: string; limit: number }) => runCommand(alertList, options));
  registerAlertWebhook(alert);
  registerAlertRule(alert);
}
