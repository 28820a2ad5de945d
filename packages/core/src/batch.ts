// Fan-out batches: one command on many machines (named, or selected by tags), one task per machine, enqueued all or
// none and sharing a batch id. The spec is the task spec without machine and taskId, plus whom to run on and how:
// `maxParallel` (a rolling run: at most N of the batch running at once) and `stopOnFailure` (once one fails for
// good, the rest are CANCELLED without running).
import { z } from 'zod';
import { selectorSchema } from './machine-tags.js';
import { machineNameSchema, teamNameSchema } from './names.js';
import { taskSpecSchema } from './task-spec.js';

/** Tasks one batch may hold: one per machine. */
export const MAX_BATCH_SIZE = 1_000;

export const batchIdSchema = z.uuid({ error: 'batch id must be a UUID, as create task printed it' });

export const maxParallelSchema = z
  .number()
  .int('max parallel must be a whole number')
  .min(1, `max parallel must be from 1 to ${MAX_BATCH_SIZE}`)
  .max(MAX_BATCH_SIZE, `max parallel must be from 1 to ${MAX_BATCH_SIZE}`);

/** Whom a fan-out runs on (exactly one of a list of machines or a tag selector) and how its tasks run. */
export const fanOutTargetFields = {
  /** These machines, in this order. */
  machines: z
    .array(machineNameSchema)
    .min(1, 'machines must name at least one machine')
    .max(MAX_BATCH_SIZE, `a batch runs on at most ${MAX_BATCH_SIZE} machines`)
    .optional(),
  /** Every machine whose tags carry each pair: `role=web,env=prod`. */
  select: selectorSchema.optional(),
  maxParallel: maxParallelSchema.optional(),
  stopOnFailure: z.boolean().default(false),
};

/** The rules over those fields, for every schema that carries them (a batch spec, a fan-out schedule). */
function checkFanOutTarget(target: { machines?: string[] | undefined; select?: unknown }, ctx: z.RefinementCtx): void {
  if ((target.machines === undefined) === (target.select === undefined)) {
    ctx.addIssue({
      code: 'custom',
      message: 'name the machines of a fan-out with exactly one of machines (a list) or select (tags, role=web)',
      path: ['machines'],
    });
  } else if (target.machines !== undefined && new Set(target.machines).size !== target.machines.length) {
    ctx.addIssue({
      code: 'custom',
      message: 'machines names a machine twice; a batch runs once per machine',
      path: ['machines'],
    });
  }
}

/** The fan-out target alone: what a fan-out schedule keeps to resolve at each run. */
export const fanOutTargetSchema = z.object(fanOutTargetFields).strict().superRefine(checkFanOutTarget);
export type FanOutTarget = z.output<typeof fanOutTargetSchema>;

export const batchSpecSchema = taskSpecSchema
  .omit({ machine: true, taskId: true, team: true })
  .extend({
    /** The team whose machines run it; may be left out when the machines (or the selected ones) are in one team. */
    team: teamNameSchema.optional(),
    ...fanOutTargetFields,
  })
  .strict()
  .superRefine(checkFanOutTarget);
export type BatchSpecInput = z.input<typeof batchSpecSchema>;
export type BatchSpec = z.output<typeof batchSpecSchema>;

/** What each task of a batch carries in its job data. */
export const batchTagSchema = z.object({
  id: batchIdSchema,
  maxParallel: maxParallelSchema.optional(),
  stopOnFailure: z.boolean().optional(),
});
export type BatchTag = z.infer<typeof batchTagSchema>;

/** The batch's own record next to its index of tasks. */
export const batchInfoSchema = z.object({
  batchId: batchIdSchema,
  team: teamNameSchema,
  command: z.string(),
  priority: z.number().int(),
  size: z.number().int(),
  createdAt: z.number(),
  select: z.record(z.string(), z.string()).optional(),
  maxParallel: z.number().int().optional(),
  stopOnFailure: z.boolean(),
});
export type BatchInfo = z.infer<typeof batchInfoSchema>;

/** How long a batch's index outlives its creation: a day longer than finished tasks are kept. */
export const BATCH_RETENTION_SECONDS = 8 * 24 * 3600;

/** A pool task: the task spec with `pool` (a selector) instead of a machine; it runs once, on the least busy match. */
export const poolSpecSchema = taskSpecSchema
  .omit({ machine: true, team: true })
  .extend({
    team: teamNameSchema.optional(),
    pool: selectorSchema,
  })
  .strict();
export type PoolSpecInput = z.input<typeof poolSpecSchema>;
