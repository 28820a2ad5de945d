// rediacc schedule add NAME (--cron PATTERN [--tz ZONE] | --every DURATION) <the task flags of create task> |
// schedule list | schedule pause|resume|remove NAME. Each run is an ordinary task with scheduleName set, queued by a
// bridge of the team when BullMQ's job scheduler fires; with --select or --machines, each run is a fan-out batch
// over the machines matching then (--max-parallel, --stop-on-failure as for create task).
import {
  cronSchema,
  MAX_BATCH_SIZE,
  machineNameSchema,
  OVERLAP_POLICIES,
  RdcError,
  type ScheduleSpecInput,
  type ScheduleView,
  type Selector,
  scheduleNameSchema,
  selectorSchema,
  teamNameSchema,
  timeZoneSchema,
} from '@rediacc/core';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { durationText, integer, listOf, oneOf, schemaFlag } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, json, line, table } from '../result.js';
import { type FanoutKind, fanOutTargetOf } from './batch.js';
import { type TaskSpecOptions, taskSpecFrom, taskSpecOptions } from './task-spec-flags.js';

const SCHEDULE_FANOUT: FanoutKind = { pool: false, batch: 'a fan-out batch each run', batches: 'fan-out schedules' };

interface AddOptions extends OutputOptions, TaskSpecOptions {
  name: string;
  cron?: string;
  tz?: string;
  every?: string;
  overlap?: 'skip' | 'queue';
  machines?: string[];
  select?: Selector;
  maxParallel?: number;
  stopOnFailure?: boolean;
}

interface NameOptions extends OutputOptions {
  name: string;
  team?: string;
}

export const scheduleAdd: Handler<AddOptions> = async (options, client) => {
  const fanOut = fanOutTargetOf(options, SCHEDULE_FANOUT);
  const team = options.team ?? (await teamOf(options, client));
  const spec: ScheduleSpecInput = {
    name: options.name,
    team,
    ...(options.cron !== undefined && { cron: options.cron }),
    ...(options.tz !== undefined && { tz: options.tz }),
    ...(options.every !== undefined && { every: options.every }),
    ...(options.overlap !== undefined && { overlap: options.overlap }),
    ...(fanOut && { fanOut }),
    task: {
      team,
      ...(options.machine !== undefined && { machine: options.machine }),
      ...taskSpecFrom(options),
    },
  };
  const view = await client.schedules.add(spec);
  return done(options.json ? json(view) : line(`schedule ${view.name} added in team ${view.team}; ${nextRun(view)}`));
};

/** The team of the machine(s) asked for, when --team is not given. */
async function teamOf(options: AddOptions, client: Parameters<Handler<unknown>>[1]): Promise<string> {
  if (options.select) {
    const teams = [...new Set((await client.machines.select(options.select)).map((m) => m.team))];
    if (teams.length !== 1) {
      throw new RdcError(
        teams.length === 0 ? 'RDC_NO_MACHINES' : 'RDC_INVALID_INPUT',
        teams.length === 0
          ? '--select matches no machine of a team this user may read'
          : `--select matches machines of teams ${teams.join(', ')}: name one with --team`,
      );
    }
    return teams[0]!;
  }
  return (await client.machines.get(options.machine ?? options.machines![0]!)).team;
}

export const scheduleList: Handler<OutputOptions & { team?: string }> = async (options, client) => {
  const views = await client.schedules.list(options.team !== undefined ? { team: options.team } : {});
  if (options.json) return done(json(views));
  const rows = views.map((v) => ({
    ...v,
    timing: v.cron !== null ? `${v.cron}${v.tz ? ` (${v.tz})` : ''}` : `every ${v.everyMs! / 1000}s`,
    next: v.paused ? 'paused' : v.nextRunAt,
    machine: v.machine ?? v.fanOut,
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
  const add = schedule
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
    .option(
      '--machines <a,b,c>',
      'each run is a batch: one task per machine named (instead of --machine)',
      listOf(machineNameSchema),
    )
    .option(
      '--select <key=value,…>',
      'each run is a batch: one task per machine carrying every tag at run time, for example role=web',
      schemaFlag(selectorSchema),
    )
    .option(
      '--max-parallel <n>',
      "a run's batch runs at most n of its tasks at once (rolling)",
      integer(1, MAX_BATCH_SIZE),
    )
    .option('--stop-on-failure', "once a task of a run's batch fails, its tasks not started yet are CANCELLED");
  taskSpecOptions(add)
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
