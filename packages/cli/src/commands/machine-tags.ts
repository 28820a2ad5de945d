// rediacc machine tag NAME k=v… | machine untag NAME k…: the labels fan-out batches and pool tasks select
// machines by (`--select role=web,env=prod`).
import {
  formatTags,
  machineNameSchema,
  RdcError,
  type TagPair,
  tagKeySchema,
  tagPairSchema,
  teamNameSchema,
} from '@rediacc/core';
import type { MachineRecord } from '@rediacc/producer';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { repeatable, schemaFlag } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, json, line } from '../result.js';

interface TagOptions extends OutputOptions {
  name: string;
  pairs: TagPair[];
  team?: string;
}

interface UntagOptions extends OutputOptions {
  name: string;
  keys: string[];
  team?: string;
}

const TEAM_HELP = 'team of the machine (may be omitted when the machine name is unique)';

export function registerMachineTags(machine: Command): void {
  machine
    .command('tag')
    .argument('<name>', 'machine name', schemaFlag(machineNameSchema))
    .argument('<key=value...>', 'tags to set, for example role=web env=prod', repeatable(tagPairSchema))
    .option('--team <team>', TEAM_HELP, schemaFlag(teamNameSchema))
    .option('--json', 'machine-readable output (the machine record)')
    .description('set tags on a machine (a key it carries already gets the new value)')
    .action((name: string, pairs: TagPair[], options: Omit<TagOptions, 'name' | 'pairs'>) =>
      runCommand(machineTag, { ...options, name, pairs }),
    );
  machine
    .command('untag')
    .argument('<name>', 'machine name', schemaFlag(machineNameSchema))
    .argument('<key...>', 'tag keys to remove, for example role', repeatable(tagKeySchema))
    .option('--team <team>', TEAM_HELP, schemaFlag(teamNameSchema))
    .option('--json', 'machine-readable output (the machine record)')
    .description('remove tags from a machine by key')
    .action((name: string, keys: string[], options: Omit<UntagOptions, 'name' | 'keys'>) =>
      runCommand(machineUntag, { ...options, name, keys }),
    );
}

/** `--tag k=v` given several times, as the tags object (the last value of a key repeated wins, like the SDK). */
export function tagsOf(pairs: readonly TagPair[] | undefined): Record<string, string> | undefined {
  if (pairs === undefined || pairs.length === 0) return undefined;
  return Object.fromEntries(pairs.map((p) => [p.key, p.value]));
}

export const machineTag: Handler<TagOptions> = async (options, client) => {
  const tags = tagsOf(options.pairs);
  if (!tags) throw new RdcError('RDC_INVALID_INPUT', 'name at least one tag as key=value, for example role=web');
  return shown(await client.machines.tag(options.name, tags, options.team), options);
};

export const machineUntag: Handler<UntagOptions> = async (options, client) =>
  shown(await client.machines.untag(options.name, options.keys, options.team), options);

function shown(record: MachineRecord, options: OutputOptions) {
  if (options.json) return done(json(record));
  return done(line(`machine ${record.name} of team ${record.team}: tags ${formatTags(record.tags) || 'none'}`));
}
