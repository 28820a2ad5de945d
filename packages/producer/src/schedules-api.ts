// Schedules as the SDK exposes them: add (a task spec and a cron pattern or interval), list with next run times,
// pause, resume and remove, every change audited. Each run is an ordinary task (or, with fanOut, a batch of one per
// matching machine) with `scheduleName` set, added by
// a bridge of the team when BullMQ's job scheduler fires (see @rediacc/queue schedule-runs.ts); vaultData is sealed
// here, once, so the stored schedule never holds it in plaintext.
import {
  type AuditAction,
  parseInput,
  RdcError,
  registryKeys,
  type ScheduleFanOut,
  type ScheduleRecord,
  type ScheduleSpecInput,
  type ScheduleView,
  scheduleNameSchema,
  scheduleSpecSchema,
  teamNameSchema,
} from '@rediacc/core';
import {
  batchMachines,
  deleteSchedule,
  getSchedule,
  listSchedules,
  listTeams,
  missingVaultEntries,
  openScheduleQueue,
  putSchedule,
  readableTeams,
  selectorText,
} from '@rediacc/queue';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AuditTrail } from './audit-trail.js';
import type { RegistryCache } from './machine-cache.js';
import { taskEntry } from './task-factory.js';

export class Schedules {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly redis: Redis,
    private readonly registry: RegistryCache,
    private readonly audit: AuditTrail,
  ) {}

  /** Adds a schedule; RDC_SCHEDULE_EXISTS when the team has one of that name (remove it first). */
  async add(input: ScheduleSpecInput): Promise<ScheduleView> {
    const spec = parseInput(scheduleSpecSchema, input, 'schedule');
    // A fan-out schedule's machines are resolved at each run; now, they must match at least one (of this team).
    const machine = spec.fanOut
      ? (await batchMachines(this.redis, spec.fanOut, spec.team)).machines[0]!.name
      : spec.task.machine!;
    await this.registry.machine(spec.team, machine);
    const team = await this.registry.team(spec.team);
    const missing = await missingVaultEntries(
      this.redis,
      spec.team,
      (spec.task.secrets ?? []).map((s) => s.name),
    );
    if (missing.length > 0) {
      throw new RdcError('RDC_VAULT_UNKNOWN', `team "${spec.team}" has no vault secret ${missing.join(', ')}`);
    }
    if (await getSchedule(this.redis, spec.team, spec.name)) {
      throw new RdcError('RDC_SCHEDULE_EXISTS', `team "${spec.team}" already has a schedule "${spec.name}"`);
    }
    // The job every run adds; each run gets its own id (the stored options hold none).
    const entry = taskEntry({ ...spec.task, machine }, 'template', team);
    const { jobId: _perRun, ...opts } = entry.opts;
    // A fan-out run sets the machine of each of its tasks.
    const { machine: _perMachine, ...fanOutData } = entry.data;
    const record: ScheduleRecord = {
      name: spec.name,
      team: spec.team,
      ...(spec.cron !== undefined && { cron: spec.cron }),
      ...(spec.every !== undefined && { everyMs: spec.every }),
      ...(spec.tz !== undefined && { tz: spec.tz }),
      overlap: spec.overlap,
      paused: false,
      createdAt: Date.now(),
      job: spec.fanOut ? { name: 'fan-out', data: fanOutData, opts } : { name: entry.name, data: entry.data, opts },
      ...(spec.fanOut && { fanOut: spec.fanOut }),
    };
    await this.change('schedule.add', record, () => putSchedule(this.redis, this.queue(spec.team), record), {
      ...(spec.fanOut ? { fanOut: fanOutDetail(spec.fanOut) } : { machine }),
      timing: spec.cron ?? `every ${spec.every} ms`,
      overlap: spec.overlap,
    });
    return this.view(record);
  }

  /** The schedules of one team, or of every team this user may read, by team then name. */
  async list(options: { team?: string } = {}): Promise<ScheduleView[]> {
    const teams =
      options.team !== undefined
        ? [parseInput(teamNameSchema, options.team, 'team name')]
        : await readableTeams(
            this.redis,
            (await listTeams(this.redis)).map((t) => t.name),
          );
    const lists = await Promise.all(teams.map((team) => listSchedules(this.redis, this.queue(team), team)));
    return lists.flat();
  }

  /** Stops a schedule's runs (a run already queued goes on); `resume` starts them again. */
  async pause(name: string, options: { team?: string } = {}): Promise<ScheduleView> {
    return this.setPaused(name, options.team, true);
  }

  async resume(name: string, options: { team?: string } = {}): Promise<ScheduleView> {
    return this.setPaused(name, options.team, false);
  }

  /** Removes a schedule for good (its past runs stay tasks like any other). */
  async remove(name: string, options: { team?: string } = {}): Promise<void> {
    const record = await this.find(name, options.team);
    await this.change('schedule.remove', record, async () => {
      await deleteSchedule(this.redis, this.queue(record.team), record.team, record.name);
    });
  }

  async close(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((q) => q.close()));
  }

  private async setPaused(name: string, team: string | undefined, paused: boolean): Promise<ScheduleView> {
    const record = { ...(await this.find(name, team)), paused };
    await this.change(paused ? 'schedule.pause' : 'schedule.resume', record, () =>
      putSchedule(this.redis, this.queue(record.team), record),
    );
    return this.view(record);
  }

  /** The schedule `name` in `team`, or in the one readable team that has it. */
  private async find(name: string, team: string | undefined): Promise<ScheduleRecord> {
    parseInput(scheduleNameSchema, name, 'schedule name');
    const teams =
      team !== undefined
        ? [parseInput(teamNameSchema, team, 'team name')]
        : await readableTeams(
            this.redis,
            (await listTeams(this.redis)).map((t) => t.name),
          );
    const holding = (
      await Promise.all(teams.map(async (t) => ((await this.redis.hexists(registryKeys.schedules(t), name)) ? t : '')))
    ).filter(Boolean);
    if (holding.length > 1) {
      throw new RdcError(
        'RDC_INVALID_INPUT',
        `schedule "${name}" exists in teams ${holding.join(', ')}: say which with --team`,
      );
    }
    const record = holding[0] ? await getSchedule(this.redis, holding[0], name) : undefined;
    if (!record) {
      throw new RdcError(
        'RDC_SCHEDULE_UNKNOWN',
        `no schedule "${name}"${team !== undefined ? ` in team "${team}"` : ' in the teams you may read'}`,
      );
    }
    return record;
  }

  private async change(
    action: AuditAction,
    record: ScheduleRecord,
    apply: () => Promise<void>,
    detail: Record<string, string> = {},
  ): Promise<void> {
    const audit = { team: record.team, action, target: record.name } as const;
    await apply().catch(async (error: unknown) => {
      await this.audit.refused(error, audit);
      throw error;
    });
    await this.audit.record([{ ...audit, outcome: 'ok', detail }]);
  }

  private async view(record: ScheduleRecord): Promise<ScheduleView> {
    const all = await listSchedules(this.redis, this.queue(record.team), record.team);
    const view = all.find((s) => s.name === record.name);
    if (!view) throw new RdcError('RDC_SCHEDULE_UNKNOWN', `schedule "${record.name}" was removed meanwhile`);
    return view;
  }

  private queue(team: string): Queue {
    let queue = this.queues.get(team);
    if (!queue) {
      queue = openScheduleQueue(this.redis, team);
      this.queues.set(team, queue);
    }
    return queue;
  }
}

function fanOutDetail(fanOut: ScheduleFanOut): string {
  return fanOut.select ? `select ${selectorText(fanOut.select)}` : `machines ${(fanOut.machines ?? []).join(',')}`;
}
