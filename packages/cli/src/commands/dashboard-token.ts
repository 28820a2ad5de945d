// rediacc dashboard token create --role R [--team T] [--expires 30d] | token list | token revoke ID: the tokens
// that open the web console. create prints the token on its last line; it is shown once and stored only hashed.
import {
  type DashboardPrincipal,
  type DashboardRole,
  dashboardRoleSchema,
  durationSchema,
  teamNameSchema,
  tokenIdSchema,
} from '@rediacc/core';
import type { Command } from 'commander';
import { withClient } from '../context.js';
import { schemaFlag } from '../options.js';
import { type OutputOptions, printJson, printLine, printTable } from '../output.js';

interface CreateOptions extends OutputOptions {
  role: DashboardRole;
  team?: string;
  expires?: number;
}

export function registerDashboardToken(dashboard: Command): void {
  const token = dashboard.command('token').description('tokens that open the console (stored hashed, revocable)');
  token
    .command('create')
    .description('create a token; it is printed once, on the last line')
    .requiredOption(
      '--role <role>',
      'viewer (read-only), operator (retry, promote, clean) or admin',
      schemaFlag(dashboardRoleSchema),
    )
    .option('--team <team>', 'the one team the token may see (default: every team)', schemaFlag(teamNameSchema))
    .option(
      '--expires <duration>',
      'lifetime, for example 12h or 30d (default: until revoked)',
      schemaFlag(durationSchema),
    )
    .option('--json', 'machine-readable output (the token is in it)')
    .action((options: CreateOptions) =>
      withClient(async (client) => {
        const { token: text, record: shown } = await client.dashboardTokens.create({
          role: options.role,
          team: options.team,
          expiresInMs: options.expires,
        });
        if (options.json) {
          printJson({ ...describe(shown), token: text });
          return;
        }
        const scope = shown.team ? `team ${shown.team}` : 'every team';
        const until = shown.expiresAt ? `expires ${new Date(shown.expiresAt).toISOString()}` : 'no expiry';
        printLine(
          `token ${shown.id}: ${shown.role} of ${scope}, ${until}\nkeep it now, it is not shown again:\n${text}`,
        );
      }),
    );
  token
    .command('list')
    .description('list tokens (ids, roles, teams, expiry; never the tokens themselves)')
    .option('--json', 'machine-readable output')
    .action((options: OutputOptions) =>
      withClient(async (client) => {
        const rows = (await client.dashboardTokens.list()).map(describe);
        if (options.json) printJson(rows);
        else printTable(rows, ['id', 'role', 'team', 'createdAt', 'expiresAt', 'expired']);
      }),
    );
  token
    .command('revoke')
    .argument('<id>', 'token id, as `dashboard token list` shows it', schemaFlag(tokenIdSchema))
    .description('revoke a token; its login sessions end with it')
    .option('--json', 'machine-readable output')
    .action((id: string, options: OutputOptions) =>
      withClient(async (client) => {
        const revoked = describe(await client.dashboardTokens.revoke(id));
        if (options.json) printJson(revoked);
        else printLine(`token ${revoked.id} revoked`);
      }),
    );
}

function describe(token: DashboardPrincipal) {
  return {
    id: token.id,
    role: token.role,
    team: token.team ?? null,
    createdAt: new Date(token.createdAt).toISOString(),
    expiresAt: token.expiresAt === undefined ? null : new Date(token.expiresAt).toISOString(),
    expired: token.expiresAt !== undefined && token.expiresAt <= Date.now(),
    createdBy: token.createdBy ?? null,
  };
}
