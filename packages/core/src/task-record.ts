// What a task looks like inside Redis: the job data the producer writes, the progress the bridge
// records, and the result it returns. Parsed with zod wherever it is read, since anything can be in Redis.
import { z } from 'zod';
import { batchTagSchema } from './batch.js';
import { machineNameSchema, teamNameSchema } from './names.js';
import { backoffSchema, failureActionSchema } from './task-spec.js';

/**
 * The version of the job data the producer writes. Version 1 stored every field; version 2 (storedJobData) leaves
 * out what the job itself already says (team: its queue; machine: its name; priority: its BullMQ priority) and the
 * fields that hold their default (DEFAULTED). Readers take both (readJobData).
 */
export const JOB_DATA_VERSION = 2;

/**
 * How long finished tasks are kept (seconds), and at most how many per queue, unless the team sets its own retention
 * (retention.ts). The bridges' archiver applies it, archiving each task before it removes it.
 */
export const FINISHED_TASK_RETENTION = { age: 7 * 24 * 3600, count: 100_000 } as const;

/** A task's job data, every field present (as read by readJobData, or written by version 1). */
export const jobDataSchema = z.object({
  v: z.union([z.literal(1), z.literal(JOB_DATA_VERSION)]),
  team: teamNameSchema,
  machine: machineNameSchema,
  command: z.string().min(1),
  priority: z.number().int().min(1).max(5),
  maxRetries: z.number().int().min(0),
  retryDelay: z.number().min(0),
  backoff: backoffSchema,
  maxRetryDelay: z.number().min(0).optional(),
  failureAction: failureActionSchema,
  timeout: z.number().positive().optional(),
  /** Never run the command twice: if a bridge dies and the run is lost on the machine, fail instead. */
  runOnce: z.boolean().optional(),
  /** vaultData sealed to the team's public key (base64); never plaintext. */
  vault: z.string().optional(),
  /** The shape of vaultData (keys and value types), safe to show. */
  vaultShape: z.unknown().optional(),
  /** Vault secrets the command gets as environment variables: names only, never values. */
  secrets: z.array(z.object({ env: z.string(), name: z.string() })).optional(),
  /** The fan-out batch this task belongs to, and the batch's run options. */
  batch: batchTagSchema.optional(),
  /** The schedule whose run this task is (`schedule add`); absent for tasks created directly. */
  scheduleName: z.string().optional(),
});
export type JobData = z.infer<typeof jobDataSchema>;

/** What a job says about its task besides its data: the team (of its queue), machine (its name) and priority. */
export interface JobOrigin {
  team: string;
  machine: string;
  priority: number;
}

/** Fields a version-2 job leaves out when they hold these values (task-spec's defaults), filled in when read. */
const DEFAULTED: Readonly<Record<string, unknown>> = {
  maxRetries: 0,
  retryDelay: 30,
  backoff: 'fixed',
  failureAction: 'none',
};
/** What storedJobData leaves out: the defaults, and runOnce when false (an optional field, as in version 1). */
const LEFT_OUT: Readonly<Record<string, unknown>> = { ...DEFAULTED, runOnce: false };

/** The job data as stored (version 2): without the job's origin and without the fields that hold their default. */
export function storedJobData(data: JobData): Record<string, unknown> {
  const stored: Record<string, unknown> = { v: JOB_DATA_VERSION };
  for (const key in data) {
    if (key === 'v' || key === 'team' || key === 'machine' || key === 'priority') continue;
    const value = data[key as keyof JobData];
    if (value !== undefined && LEFT_OUT[key] !== value) stored[key] = value;
  }
  return stored;
}

/** A task's job as it is added to its lane queue. */
export interface TaskJob<O extends { jobId: string }> {
  /** The machine: readJobData takes it from the job's name. */
  name: string;
  data: Record<string, unknown>;
  opts: O;
}

/**
 * A task's job as it is added: named after its machine, its data in the stored form (storedJobData), with `opts`
 * (jobOptionsFor: priority and retry policy). Creates (the producer's task-add.ts) and a schedule's runs (queue's
 * schedule-runs.ts and schedule-fanout.ts) add through it, so a run's job is stored as a created task's is.
 */
export function taskJob<O extends { jobId: string }>(data: JobData, opts: O): TaskJob<O> {
  return { name: data.machine, data: storedJobData(data), opts };
}

/**
 * Reads stored job data of either version: version 2 takes what it left out from the job (`origin`) and the
 * defaults; fields it does carry win. Version 1 carries everything and is parsed as it is.
 */
export function readJobData(raw: unknown, origin: Partial<JobOrigin> | undefined) {
  if (raw !== null && typeof raw === 'object' && (raw as { v?: unknown }).v === JOB_DATA_VERSION) {
    // Merged into an object without a prototype: a stored "__proto__" key stays a plain key (never a prototype that
    // could supply a field), and it is several times cheaper than an object spread of the three (a bridge reads
    // every task it claims).
    return jobDataSchema.safeParse(Object.assign(Object.create(null), DEFAULTED, origin, raw));
  }
  return jobDataSchema.safeParse(raw);
}

export const phaseSchema = z.enum(['ASSIGNED', 'PROCESSING']);

/** How a run on the machine ended. One shape for every ending (after execa's result). */
export const runOutcomeSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('exited'), exitCode: z.number().int() }),
  z.object({ outcome: z.literal('signalled'), signal: z.string() }),
  z.object({ outcome: z.literal('timed-out'), afterSeconds: z.number() }),
  z.object({ outcome: z.literal('cancelled') }),
]);
export type RunOutcome = z.infer<typeof runOutcomeSchema>;

export const runResultSchema = z.object({
  ending: runOutcomeSchema,
  output: z.string(),
  truncated: z.boolean().default(false),
  startedAt: z.number(),
  finishedAt: z.number(),
});
export type RunResult = z.infer<typeof runResultSchema>;

export const progressSchema = z.object({
  phase: phaseSchema,
  bridge: z.string().optional(),
  /** The try this record belongs to (BullMQ attemptsMade when it was written). */
  attempt: z.number().int().min(0).optional(),
  /** When the command started on the machine in this try; kept by every later holder of the same try. */
  startedAt: z.number().optional(),
  /** Set on a failed try, so `inspect` can show its output and exit code. */
  result: runResultSchema.optional(),
});
export type Progress = z.infer<typeof progressSchema>;

export type ShapeOf = string | { [key: string]: ShapeOf } | ShapeOf[];

/** The shape of a value with every leaf replaced by its type name: safe to show, reveals no secret. */
export function shapeOf(value: unknown): ShapeOf {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  }
  return value === null ? 'null' : typeof value;
}
