// rediacc alert webhook add URL [--team T] [--secret S | --secret-file F] | webhook list [--team T] | webhook remove ID
// add prints the new webhook's id on its last line. The secret is sealed to the team's key by the SDK before it
// leaves this process; it is never printed, and a bad one is reported without echoing it.
import { readFile } from 'node:fs/promises';
import { RdcError, teamNameSchema, type WebhookInfo, webhookIdSchema, webhookUrlSchema } from '@rediacc/core';
import type { Command } from 'commander';
import { withClient } from '../context.js';
import { schemaFlag } from '../options.js';
import { type OutputOptions, printJson, printLine, printTable } from '../output.js';

interface AddOptions extends OutputOptions {
  team?: string;
  secret?: string;
  secretFile?: string;
}

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
    .action((url: string, options: AddOptions) =>
      withClient(async (client) => {
        const secret = await secretOf(options);
        const added = await client.alerts.addWebhook({ url, team: options.team, secret });
        if (options.json) {
          printJson(describe(added));
          return;
        }
        const scope = added.team ? `team ${added.team}` : 'every team';
        printLine(`webhook for ${scope} added (${added.signed ? 'signed' : 'unsigned'}); its id:\n${added.id}`);
      }),
    );
  webhook
    .command('list')
    .option('--team <team>', "this team's webhooks and those of every team", schemaFlag(teamNameSchema))
    .option('--json', 'machine-readable output')
    .description('list webhooks (never their secrets)')
    .action((options: OutputOptions & { team?: string }) =>
      withClient(async (client) => {
        const rows = (await client.alerts.listWebhooks(options.team)).map(describe);
        if (options.json) printJson(rows);
        else printTable(rows, ['id', 'team', 'url', 'signed', 'createdAt', 'createdBy']);
      }),
    );
  webhook
    .command('remove')
    .argument('<id>', 'webhook id, as `alert webhook list` shows it', schemaFlag(webhookIdSchema))
    .option('--json', 'machine-readable output')
    .description('remove a webhook; deliveries already queued for it are dropped')
    .action((id: string, options: OutputOptions) =>
      withClient(async (client) => {
        const removed = describe(await client.alerts.removeWebhook(id));
        if (options.json) printJson(removed);
        else printLine(`webhook ${removed.id} removed`);
      }),
    );
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
