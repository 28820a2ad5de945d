// Schedules: a task spec run again and again, on a cron pattern (in a time zone) or every so often, on BullMQ's
// job schedulers. The schema is the one definition of what `schedule add` and the SDK's schedules.add accept.
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { type FanOutTarget, fanOutTargetFields, fanOutTargetSchema } from './batch.js';
import { durationSchema } from './duration.js';
import { machineNameSchema, NAME_PATTERN, teamNameSchema } from './names.js';
import { jobDataSchema } from './task-record.js';
import { taskSpecSchema } from './task-spec.js';

export const scheduleNameSchema = z
  .string({ error: 'schedule name must be a string' })
  .regex(
    NAME_PATTERN,
    `schedule name must be 1-64 characters of letters, digits, '.', '_' or '-' (for example "nightly-backup")`,
  );

/** What a schedule does when its previous run is still PENDING or running: skip this run (audited), or queue it. */
export const OVERLAP_POLICIES = ['skip', 'queue'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** Five fields (minute hour day month weekday) or six (seconds first), as BullMQ's cron parser reads them. */
const CRON_PATTERN = /^\S+(\s+\S+){4,5}$/;

export const cronSchema = z
  .string({ error: 'cron must be a string' })
  .trim()
  .regex(CRON_PATTERN, 'cron must have 5 fields (minute hour day month weekday, for example "0 3 * * *") or 6')
  // The parser BullMQ's job schedulers use: a pattern it would refuse later is refused here, before anything is kept.
  .superRefine((pattern, ctx) => {
    try {
      CronExpressionParser.parse(pattern);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `cron "${pattern}" is not a valid pattern (${error instanceof Error ? error.message : String(error)}); for example "0 3 * * *" is 03:00 every day`,
      });
    }
  });

export const timeZoneSchema = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { error: (issue) => `tz ${JSON.stringify(issue.input)} is not a time zone (use an IANA name like Europe/Berlin)` },
);

/**
 * The task a schedule runs: a task spec without its own id (each run gets one), and without a machine when the
 * schedule fans out (`fanOut`): then each run is a batch, one task per machine matching at run time.
 */
export const scheduledTaskSchema = taskSpecSchema
  .omit({ taskId: true })
  .extend({ machine: machineNameSchema.optional() });

/** Whom a fan-out schedule's runs go to (resolved at each run) and how a run's batch runs. */
export type ScheduleFanOut = FanOutTarget;

export const scheduleSpecSchema = z
  .object({
    name: scheduleNameSchema,
    team: teamNameSchema,
    cron: cronSchema.optional(),
    /** A duration like "1s", "15m": run this often (BullMQ's `every`). */
    every: durationSchema.optional(),
    tz: timeZoneSchema.optional(),
    overlap: z.enum(OVERLAP_POLICIES, { error: 'overlap must be skip or queue' }).default('skip'),
    task: scheduledTaskSchema,
    /** Each run is a fan-out batch over these machines (instead of task.machine). */
    fanOut: fanOutTargetSchema.optional(),
  })
  .strict()
  .refine((s) => (s.task.machine === undefined) !== (s.fanOut === undefined), {
    error: 'a schedule runs on task.machine, or fans out (fanOut: machines or select): give exactly one',
    path: ['task', 'machine'],
  })
  .refine((s) => (s.cron === undefined) !== (s.every === undefined), {
    error: 'a schedule needs exactly one of cron (a pattern like "0 3 * * *") or every (a duration like "15m")',
    path: ['cron'],
  })
  .refine((s) => s.tz === undefined || s.cron !== undefined, {
    error: 'tz applies to a cron pattern only; drop it or use cron',
    path: ['tz'],
  })
  .refine((s) => s.task.team === s.team, { error: 'task.team must be the schedule team', path: ['task', 'team'] });

export type ScheduleSpecInput = z.input<typeof scheduleSpecSchema>;
export type ScheduleSpec = z.output<typeof scheduleSpecSchema>;

/** A schedule as `schedule list` shows it. */
export interface ScheduleView {
  name: string;
  team: string;
  cron: string | null;
  everyMs: number | null;
  tz: string | null;
  overlap: OverlapPolicy;
  paused: boolean;
  /** The machine of a single-task schedule; null when it fans out. */
  machine: string | null;
  /** A fan-out schedule's machines: the selector (role=web) or the names; null for a single-task schedule. */
  fanOut: string | null;
  command: string;
  priority: number;
  /** When the next run is due (ISO time); null while paused. */
  nextRunAt: string | null;
  /** The task of the last run (its batch id for a fan-out schedule), if any. */
  lastTaskId: string | null;
}

/**
 * A schedule as stored (hash `rdc:{team}:schedules`): its timing and the job each run adds, its vaultData already
 * sealed to the team key when the schedule was added (plaintext never stored).
 */
export const scheduleRecordSchema = z.object({
  name: scheduleNameSchema,
  team: teamNameSchema,
  cron: z.string().optional(),
  everyMs: z.number().int().positive().optional(),
  tz: z.string().optional(),
  overlap: z.enum(OVERLAP_POLICIES),
  paused: z.boolean(),
  createdAt: z.number(),
  /**
   * The task every run adds: name (the machine), data (JobData, whole: version 1 in records kept before version 2)
   * and options. A run builds its job from the data as a create does (taskJob, jobOptionsFor); the options are kept
   * for bridges from before that. A fan-out schedule's job data has no machine: each run sets it per machine.
   */
  job: z.object({
    name: z.string(),
    data: jobDataSchema.extend({ machine: machineNameSchema.optional() }),
    opts: z.record(z.string(), z.unknown()),
  }),
  // As kept: read without the input rules, so a record written before a rule was added still reads.
  fanOut: z.object(fanOutTargetFields).optional(),
});
export type ScheduleRecord = z.infer<typeof scheduleRecordSchema>;

/** The data of a schedule's trigger job (BullMQ job scheduler template): which schedule fired. */
export const scheduleTriggerSchema = z.object({ schedule: scheduleNameSchema });
