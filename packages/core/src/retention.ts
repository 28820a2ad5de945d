// Retention of finished tasks, per team: COMPLETED and FAILED tasks stay in the live queue for `keepFor` and at
// most `keepCount` of them per lane and outcome (BullMQ's count is per queue and state too); older ones are
// appended to the team's archive and only then removed from the queue. The archive is a capped stream.
import { z } from 'zod';
import { durationSchema } from './duration.js';
import { FINISHED_TASK_RETENTION } from './task-record.js';

/** The newest archived tasks a team's archive stream keeps (trimmed approximately, like BullMQ's event stream). */
export const ARCHIVE_KEPT = 1_000_000;

export const retentionInputSchema = z
  .object({
    /** How long a finished task stays in the live queue, as a duration like "7d" or "12h". */
    keepFor: durationSchema.optional(),
    /** At most this many finished tasks per lane and outcome stay in the live queue. */
    keepCount: z
      .number()
      .int('keepCount must be a whole number')
      .min(0, 'keepCount must be 0 or more')
      .max(10_000_000, 'keepCount must be at most 10000000')
      .optional(),
  })
  .strict()
  .refine((r) => r.keepFor !== undefined || r.keepCount !== undefined, {
    error: 'give keepFor (a duration like 7d), keepCount, or both',
  });
export type RetentionInput = z.input<typeof retentionInputSchema>;

export const retentionPolicySchema = z.object({
  keepForMs: z.number().int().positive(),
  keepCount: z.number().int().min(0),
});
export type RetentionPolicy = z.infer<typeof retentionPolicySchema>;

/** What a team keeps until it sets its own: 7 days, 100,000 per lane and outcome. */
export const DEFAULT_RETENTION: RetentionPolicy = {
  keepForMs: FINISHED_TASK_RETENTION.age * 1000,
  keepCount: FINISHED_TASK_RETENTION.count,
};
