// rediacc schedule add NAME (--cron PATTERN [--tz ZONE] | --every DURATION) <the task flags of create task> |
// schedule list | schedule pause|resume|remove NAME. Each run is an ordinary task with scheduleName set, queued by a
// bridge of the team when BullMQ's job scheduler fires. (Fan-out schedules with --select come with batches.)
import {
  commandSchema,
  cronSchema,
  machineNameSchema,
  OVERLAP_POLICIES,
  type ScheduleSpecInput,
  type ScheduleView,
  type SecretRef,
  scheduleNameSchema,
  secretRefSchema,
  teamNameSchema,
  timeZoneSchema,
  vaultDataSchema,
} from '@rediacc/core';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { durationText, integer, jsonObject, oneOf, positiveNumber, repeatable, schemaFlag } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, json, line, table } from '../result.js';

interface AddOptions extends OutputOptions {
  name: string;
  cron?: string;
  tz?: string;
  every?: string;
  overlap?: 'skip' | 'queue';
  team?: string;
  machine: string;
  command: string;
  priority: number;
  maxRetries?: number;
  retryDelay?: number;
  backoff?: 'fixed' | 'exponential';
  maxRetryDelay?: number;
  timeout?: number;
  runOnce?: boolean;
  failureAction?: 'none' | 'alert';
  vaultData?: Record<string, unknown>;
  secret?: SecretRef[];
}

interface NameOptions extends OutputOptions {
  name: string;
  team?: string;
}

export const scheduleAdd: Handler<AddOptions> = async (options, client) => {
  const team = options.team ?? (await client.machines.get(options.machine)).team;
  const spec: ScheduleSpecInput = {
    name: options.name,
    team,
    ...(options.cron !== undefined && { cron: options.cron }),
    ...(options.tz !== undefined && { tz: options.tz }),
    ...(options.every !== undefined && { every: options.every }),
    ...(options.overlap !== undefined && { overlap: options.overlap }),
    task: {
      team,
      machine: options.machine,
      command: options.command,
      priority: options.priority,
      ...(options.maxRetries !== undefined && { maxRetries: options.maxRetries }),
      ...(options.retryDelay !== undefined && { retryDelay: options.retryDelay }),
      ...(options.backoff !== undefined && { backoff: options.backoff }),
      ...(options.maxRetryDelay !== undefined && { maxRetryDelay: options.maxRetryDelay }),
      ...(options.timeout !== undefined && { timeout: options.timeout }),
      ...(options.runOnce && { runOnce: true }),
      ...(options.failureAction !== undefined && { failureAction: options.failureAction }),
      ...(options.vaultData !== undefined && { vaultData: options.vaultData }),
      ...(options.secret !== undefined && { secrets: options.secret }),
    },
  };
  const view = await client.schedules.add(spec);
  return done(options.json ? json(view) : line(`schedule ${view.name} added in team ${view.team}; ${nextRun(view)}`));
};

export const scheduleList: Handler<OutputOptions & { team?: string }> = async (options, client) => {
  const views = await client.schedules.list(options.team !== undefined ? { team: options.team } : {});
  if (options.json) return done(json(views));
  const rows = views.map((v) => ({
    ...v,
    timing: v.cron !== null ? `${v.cron}${v.tz ? ` (${v.tz})` : ''}` : `every ${v.everyMs! / 1000}s`,
    next: v.paused ? 'paused' : v.nextRunAt,
  }));
  return done(table(rows, ['team', 'name', 'timing', 'overlap', 'next', 'machine', 'command', 'lastTaskId']));
};

function changeHandler(verb: 'pause' | 'resume' | 'remove'): Handler<NameOptions> {
  return async (options, client) => {
    const where = options.team !== undefined ? { team: options.team } : {};
    if (verb === 'remove') {
      await client.schedules.remove(options.name, where);
      return done(
        options.json ? json({ name: options.name, removed: true }) : line(`schedule ${options.name} removed`),
      );
    }
    const view = await client.schedules[verb](options.name, where);
    return done(options.json ? json(view) : line(`schedule ${view.name} ${verb}d; ${nextRun(view)}`));
  };
}

function nextRun(view: ScheduleView): string {
  return view.paused ? 'paused' : `next run ${view.nextRunAt ?? 'soon'}`;
}

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('run a task on a cron pattern or interval');
  schedule
    .command('add')
    .description(
      'add a schedule: its task runs at every due time as an ordinary task with scheduleName set (run by a bridge of the team)',
    )
    .argument('<name>', 'schedule name, unique in the team', schemaFlag(scheduleNameSchema))
    .option('--cron <pattern>', 'cron pattern, for example "0 3 * * *" (03:00 every day)', schemaFlag(cronSchema))
    .option(
      '--tz <zone>',
      'time zone of the cron pattern, for example Europe/Berlin (default UTC)',
      schemaFlag(timeZoneSchema),
    )
    .option('--every <duration>', 'run this often instead of a cron pattern, for example 15m or 1s', durationText)
    .option(
      '--overlap <policy>',
      'when the previous run is still pending or running: skip this run (audited; the default) or queue it',
      oneOf(OVERLAP_POLICIES),
    )
    .requiredOption('--machine <name>', 'machine to run on', schemaFlag(machineNameSchema))
    .requiredOption('--command <command>', 'shell command', schemaFlag(commandSchema))
    .option(
      '--team <team>',
      'team of the machine (may be omitted when the machine name is unique)',
      schemaFlag(teamNameSchema),
    )
    .option('--priority <1-5>', '1 critical … 5 whenever', integer(1, 5), 3)
    .option('--max-retries <n>', 'retries after the first try', integer(0, 100))
    .option('--retry-delay <seconds>', 'wait between tries', positiveNumber)
    .option('--backoff <kind>', 'fixed or exponential', oneOf(['fixed', 'exponential'] as const))
    .option('--max-retry-delay <seconds>', 'exponential backoff grows up to this', positiveNumber)
    .option('--timeout <seconds>', 'kill the command after this long', positiveNumber)
    .option('--run-once', 'never run a run twice')
    .option('--failure-action <action>', 'none or alert', oneOf(['none', 'alert'] as const))
    .option('--vault-data <json>', 'task configuration, sealed to the team key', (value: string) =>
      schemaFlag(vaultDataSchema)(jsonObject(value)),
    )
    .option('--secret <NAME|ENV=NAME>', 'vault secret as environment variable; repeatable', repeatable(secretRefSchema))
    .option('--json', 'machine-readable output')
    .action((name: string, options: Omit<AddOptions, 'name'>) => runCommand(scheduleAdd, { ...options, name }));
  schedule
    .command('list')
    .description('list schedules with their next run time')
    .option('--team <team>', 'only this team', schemaFlag(teamNameSchema))
    .option('--json', 'machine-readable output (an array)')
    .action((options: OutputOptions & { team?: string }) => runCommand(scheduleList, options));
  for (const [verb, what] of [
    ['pause', 'stop the runs of a schedule (a run already queued goes on)'],
    ['resume', 'start the runs of a paused schedule again'],
    ['remove', 'remove a schedule (its past runs stay tasks)'],
  ] as const) {
    schedule
      .command(verb)
      .description(what)
      .argument('<name>', 'schedule name', schemaFlag(scheduleNameSchema))
      .option('--team <team>', 'team of the schedule (when the name is in several teams)', schemaFlag(teamNameSchema))
      .option('--json', 'machine-readable output')
      .action((name: string, options: Omit<NameOptions, 'name'>) =>
        runCommand(changeHandler(verb), { ...options, name }),
      );
  }
}
