// rediacc team create NAME | team list
import { RdcError, teamNameSchema } from '@rediacc/core';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { schemaFlag } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, json, line, table } from '../result.js';
import { assertNoTeamKey, writeTeamKey } from '../team-keys.js';

export const teamCreate: Handler<OutputOptions & { name: string }> = async (options, client, config) => {
  const { name } = options;
  // An existing team is RDC_TEAM_EXISTS even though its key file is there too; only then the key-file check.
  if ((await client.teams.list()).some((t) => t.name === name)) {
    throw new RdcError('RDC_TEAM_EXISTS', `team "${name}" already exists`);
  }
  await assertNoTeamKey(config.home, name);
  const { team: record, secretKey } = await client.teams.create(name);
  const keyFile = await writeTeamKey(config.home, record.name, secretKey);
  return done(
    options.json ? json({ ...record, keyFile }) : line(`team ${record.name} created; vault key written to ${keyFile}`),
  );
};

export const teamList: Handler<OutputOptions> = async (options, client) => {
  const teams = await client.teams.list();
  const rows = teams.map((t) => ({ name: t.name, createdAt: new Date(t.createdAt).toISOString() }));
  return done(options.json ? json(rows) : table(rows, ['name', 'createdAt']));
};

export function registerTeam(program: Command): void {
  const team = program.command('team').description('manage teams (one queue and one vault per team)');
  team
    .command('create')
    .argument('<name>', 'team name: letters, digits, ".", "_" or "-"', schemaFlag(teamNameSchema))
    .option('--json', 'machine-readable output')
    .description("create a team and write its vault key to $RDC_HOME/keys/NAME.key for the team's bridges")
    .action((name: string, options: OutputOptions) => runCommand(teamCreate, { ...options, name }));
  team
    .command('list')
    .option('--json', 'machine-readable output')
    .description('list teams')
    .action((options: OutputOptions) => runCommand(teamList, options));
}
