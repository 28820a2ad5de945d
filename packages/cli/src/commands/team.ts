// rediacc team create NAME | team list
import { RdcError, teamNameSchema } from '@rediacc/core';
import type { Command } from 'commander';
import { withClient } from '../context.js';
import { schemaFlag } from '../options.js';
import { type OutputOptions, printJson, printLine, printTable } from '../output.js';
import { assertNoTeamKey, writeTeamKey } from '../team-keys.js';

export function registerTeam(program: Command): void {
  const team = program.command('team').description('manage teams (one queue and one vault per team)');
  team
    .command('create')
    .argument('<name>', 'team name: letters, digits, ".", "_" or "-"', schemaFlag(teamNameSchema))
    .option('--json', 'machine-readable output')
    .description("create a team and write its vault key to $RDC_HOME/keys/NAME.key for the team's bridges")
    .action((name: string, options: OutputOptions) =>
      withClient(async (client, config) => {
        // An existing team is RDC_TEAM_EXISTS even though its key file is there too; only then the key-file check.
        if ((await client.teams.list()).some((t) => t.name === name)) {
          throw new RdcError('RDC_TEAM_EXISTS', `team "${name}" already exists`);
        }
        await assertNoTeamKey(config.home, name);
        const { team: record, secretKey } = await client.teams.create(name);
        const keyFile = await writeTeamKey(config.home, record.name, secretKey);
        if (options.json) printJson({ ...record, keyFile });
        else printLine(`team ${record.name} created; vault key written to ${keyFile}`);
      }),
    );
  team
    .command('list')
    .option('--json', 'machine-readable output')
    .description('list teams')
    .action((options: OutputOptions) =>
      withClient(async (client) => {
        const teams = await client.teams.list();
        const rows = teams.map((t) => ({ name: t.name, createdAt: new Date(t.createdAt).toISOString() }));
        if (options.json) printJson(rows);
        else printTable(rows, ['name', 'createdAt']);
      }),
    );
}
