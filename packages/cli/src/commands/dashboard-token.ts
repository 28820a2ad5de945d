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
import { type Handler, runCommand } from '../context.js';
import { schemaFlag } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, json, line, table } from '../result.js';

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
    .action((options: CreateOptions) => runCommand(tokenCreate, options));
  token
    .command('list')
    .description('list tokens (ids, roles, teams, expiry; never the tokens themselves)')
    .option('--json', 'machine-readable output')
    .action((options: OutputOptions) => runCommand(tokenList, options));
  token
    .command('revoke')
    .argument('<id>', 'token id, as `dashboard token list` shows it', schemaFlag(tokenIdSchema))
    .description('revoke a token; its login sessions end with it')
    .option('--json', 'machine-readable output')
    .action((id: string, options: OutputOptions) => runCommand(tokenRevoke, { ...options, id }));
}

/** Creates a token and prints it once (on the last line, or in the --json document). */
export const tokenCreate: Handler<CreateOptions> = async (options, client) => {
  const { token: secret, record: shown } = await client.dashboardTokens.create({
    role: options.role,
    team: options.team,
    expiresInMs: options.expires,
  });
  if (options.json) return done(json({ ...describe(shown), token: secret }));
  const scope = shown.team ? `team ${shown.team}` : 'every team';
  const until = shown.expiresAt ? `expires ${new Date(shown.expiresAt).toISOString()}` : 'no expiry';
  return done(
    line(`token ${shown.id}: ${shown.role} of ${scope}, ${until}\nkeep it now, it is not shown again:\n${secret}`),
  );
};

export const tokenList: Handler<OutputOptions> = async (options, client) => {
  const rows = (await client.dashboardTokens.list()).map(describe);
  return done(options.json ? json(rows) : table(rows, ['id', 'role', 'team', 'createdAt', 'expiresAt', 'expired']));
};

export const tokenRevoke: Handler<OutputOptions & { id: string }> = async (options, client) => {
  const revoked = describe(await client.dashboardTokens.revoke(options.id));
  return done(options.json ? json(revoked) : line(`token ${revoked.id} revoked`));
};

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
