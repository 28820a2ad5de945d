// rediacc archive export --team T [--since 7d] | retention show --team T | retention set --team T [--keep-for 7d]
// [--keep-count N]. Finished tasks stay in the live queue for the team's retention; the bridges then archive and
// remove them. The export prints every finished task of the period, archived or live, one JSON object per line, as
// it reads them (memory stays bounded whatever the period).
import { durationSchema, type RetentionPolicy, teamNameSchema } from '@rediacc/core';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { durationText, integer, schemaFlag } from '../options.js';
import { type OutputOptions, printJsonLine } from '../output.js';
import { done, json, line, note } from '../result.js';

interface ExportOptions {
  team: string;
  since?: number;
}

interface RetentionOptions extends OutputOptions {
  team: string;
  keepFor?: string;
  keepCount?: number;
}

export const archiveExport: Handler<ExportOptions> = async (options, client) => {
  let count = 0;
  for await (const task of client.archive.export(options.team, {
    ...(options.since !== undefined && { sinceMs: options.since }),
  })) {
    printJsonLine(task);
    count += 1;
  }
  return done(note(`${count} finished tasks of team ${options.team}`));
};

export const retentionShow: Handler<RetentionOptions> = async (options, client) =>
  shown(options, await client.archive.retention(options.team));

export const retentionSet: Handler<RetentionOptions> = async (options, client) =>
  shown(
    options,
    await client.archive.setRetention(options.team, {
      ...(options.keepFor !== undefined && { keepFor: options.keepFor }),
      ...(options.keepCount !== undefined && { keepCount: options.keepCount }),
    }),
  );

function shown(options: RetentionOptions, policy: RetentionPolicy) {
  if (options.json) return done(json({ team: options.team, ...policy }));
  return done(
    line(
      `team ${options.team} keeps finished tasks live for ${policy.keepForMs / 1000}s, at most ${policy.keepCount} per lane and outcome; older ones are archived, then removed`,
    ),
  );
}

export function registerArchive(program: Command): void {
  program
    .command('archive')
    .description('finished tasks past the live queue (archive export …)')
    .command('export')
    .description(
      'print every finished task of a team (COMPLETED or FAILED), archived or still live, one JSON object per line with the inspect fields',
    )
    .requiredOption('--team <team>', 'team', schemaFlag(teamNameSchema))
    .option(
      '--since <duration>',
      'only tasks that ended in this last period, for example 7d',
      schemaFlag(durationSchema),
    )
    .action((options: ExportOptions) => runCommand(archiveExport, options));
  const retention = program
    .command('retention')
    .description('how long and how many finished tasks stay in the live queue before they are archived');
  retention
    .command('show')
    .description("show a team's retention")
    .requiredOption('--team <team>', 'team', schemaFlag(teamNameSchema))
    .option('--json', 'machine-readable output')
    .action((options: RetentionOptions) => runCommand(retentionShow, options));
  retention
    .command('set')
    .description("set a team's retention (what is not given stays as it was)")
    .requiredOption('--team <team>', 'team', schemaFlag(teamNameSchema))
    .option(
      '--keep-for <duration>',
      'how long finished tasks stay live, for example 7d or 12h (default 7d)',
      durationText,
    )
    .option(
      '--keep-count <n>',
      'at most this many per lane and outcome stay live (default 100000)',
      integer(0, 10_000_000),
    )
    .option('--json', 'machine-readable output')
    .action((options: RetentionOptions) => runCommand(retentionSet, options));
}
