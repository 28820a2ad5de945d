// rediacc alert webhook add URL [--team T] [--secret S | --secret-file F] | webhook list [--team T] | webhook remove ID
// add prints the new webhook's id on its last line. The secret is sealed to the team's key by the SDK before it
// leaves this process; it is never printed, and a bad one is reported without echoing it.
import { readFile } from 'node:fs/promises';
import { RdcError, teamNameSchema, type WebhookInfo, webhookIdSchema, webhookUrlSchema } from '@rediacc/core';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { schemaFlag } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, json, line, table } from '../result.js';

interface AddOptions extends OutputOptions {
  team?: string;
  secret?: string;
  secretFile?: string;
}

export const webhookAdd: Handler<AddOptions & { url: string }> = async (options, client) => {
  const secret = await secretOf(options);
  const added = await client.alerts.addWebhook({ url: options.url, team: options.team, secret });
  if (options.json) return done(json(describe(added)));
  const scope = added.team ? `team ${added.team}` : 'every team';
  return done(line(`webhook for ${scope} added (${added.signed ? 'signed' : 'unsigned'}); its id:\n${added.id}`));
};

export const webhookList: Handler<OutputOptions & { team?: string }> = async (options, client) => {
  const rows = (await client.alerts.listWebhooks(options.team)).map(describe);
  return done(options.json ? json(rows) : table(rows, ['id', 'team', 'url', 'signed', 'createdAt', 'createdBy']));
};

export const webhookRemove: Handler<OutputOptions & { id: string }> = async (options, client) => {
  const removed = describe(await client.alerts.removeWebhook(options.id));
  return done(options.json ? json(removed) : line(`webhook ${removed.id} removed`));
};

export function registerAlertWebhook(alert: Command): void {
  const webhook = alert.command('webhook').description('where alerts are POSTed (JSON, HMAC-signed with a secret)');
  webhook
    .command('add')
    .argument('<url>', 'http:// or https:// URL that receives the JSON POSTs', schemaFlag(webhookUrlSchema))
    .option(
      '--team <team>',
      "only this team's alerts (default: every team's, unsigned; needs the fleet admin)",
      schemaFlag(teamNameSchema),
    )
    .option('--secret <secret>', 'HMAC key for X-Rediacc-Signature (prefer --secret-file: argv is visible in ps)')
    .option('--secret-file <path>', 'read the HMAC key from this file (first line)')
    .option('--json', 'machine-readable output')
    .description('add a webhook; its id is printed on the last line')
    .action((url: string, options: AddOptions) => runCommand(webhookAdd, { ...options, url }));
  webhook
    .command('list')
    .option('--team <team>', "this team's webhooks and those of every team", schemaFlag(teamNameSchema))
    .option('--json', 'machine-readable output')
    .description('list webhooks: URLs redacted to scheme://host/…/last 4 chars, never their secrets')
    .action((options: OutputOptions & { team?: string }) => runCommand(webhookList, options));
  webhook
    .command('remove')
    .argument('<id>', 'webhook id, as `alert webhook list` shows it', schemaFlag(webhookIdSchema))
    .option('--json', 'machine-readable output')
    .description('remove a webhook; deliveries already queued for it are dropped')
    .action((id: string, options: OutputOptions) => runCommand(webhookRemove, { ...options, id }));
}

async function secretOf(options: AddOptions): Promise<string | undefined> {
  if (options.secret !== undefined && options.secretFile !== undefined) {
    throw new RdcError('RDC_INVALID_INPUT', 'give the webhook secret with --secret or --secret-file, not both');
  }
  if (options.secretFile === undefined) return options.secret;
  try {
    return (await readFile(options.secretFile, 'utf8')).split(/\r?\n/)[0] ?? '';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RdcError(
      'RDC_INVALID_INPUT',
      `cannot read --secret-file ${options.secretFile}: ${code ?? String(error)}`,
      {
        cause: error,
      },
    );
  }
}

function describe(webhook: WebhookInfo) {
  return {
    id: webhook.id,
    team: webhook.team,
    url: webhook.url,
    signed: webhook.signed,
    createdAt: new Date(webhook.createdAt).toISOString(),
    createdBy: webhook.createdBy,
  };
}
