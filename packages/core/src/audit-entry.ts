// Audit log entries: who did what to which thing of a team, and how it ended. One zod schema is the single
// definition; producers, bridges and the CLI append entries, `rediacc audit` reads them back through it.
import { z } from 'zod';
import { teamNameSchema } from './names.js';

export const AUDIT_ACTIONS = [
  'task.create',
  'task.cancel',
  'task.retry',
  // Lifecycle transitions, appended by the bridge that made them.
  'task.assigned',
  'task.processing',
  'task.completed',
  'task.failed',
  'task.cancelled',
  'team.create',
  'machine.add',
  'machine.remove',
  'machine.set',
  'machine.trust',
  'vault.set',
  'vault.delete',
  'key.rotate',
  'acl.apply',
  // Dashboard tokens (of a team: fleet tokens have no team log yet), and what the console's board changed.
  'token.create',
  'token.revoke',
  'task.promote',
  'task.remove',
  'queue.promote',
  'queue.clean',
  'queue.pause',
  'queue.resume',
  'queue.empty',
  // Webhook alerts (a webhook of every team is recorded in every team's log).
  'alert.webhook.add',
  'alert.webhook.remove',
  // A webhook stored with its URL in plaintext (before URLs were sealed), sealed when a listing found it.
  'alert.webhook.seal',
  'alert.rule.add',
  'alert.rule.remove',
  // Schedules: changes by users, and each run a bridge made or skipped (its previous run still going).
  'schedule.add',
  'schedule.pause',
  'schedule.resume',
  'schedule.remove',
  'schedule.run',
  'schedule.skip',
  // Retention of finished tasks.
  'retention.set',
  // Fan-out batches as a whole (each of their tasks has its own task.create entry too).
  'batch.create',
  'batch.cancel',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_OUTCOMES = ['ok', 'denied', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Who acts: a Redis ACL user name (ACL WHOAMI) or a configured identity (RDC_ACTOR), for example alice@ops. */
export const actorSchema = z
  .string({ error: 'actor must be a string' })
  .regex(
    /^[A-Za-z0-9._@:+-]{1,128}$/,
    "actor must be 1-128 characters of letters, digits, '.', '_', '@', ':', '+' or '-' (for example alice@ops)",
  );

const detailValue = z.union([z.string().max(4_096), z.number(), z.boolean(), z.null()]);

/** What a caller appends; `at` comes from the stream entry id (the Redis server's clock). */
export const auditInputSchema = z
  .object({
    actor: actorSchema,
    team: teamNameSchema,
    action: z.enum(AUDIT_ACTIONS, { error: `action must be one of ${AUDIT_ACTIONS.join(', ')}` }),
    /** What was acted on: a task id, machine name, user name, key id… */
    target: z.string().min(1, 'target must not be empty').max(256, 'target must be at most 256 characters'),
    outcome: z.enum(AUDIT_OUTCOMES, { error: `outcome must be one of ${AUDIT_OUTCOMES.join(', ')}` }),
    /** Small flat facts: attempt, bridge, priority, error code. Never secrets. */
    detail: z.record(z.string().max(64), detailValue).optional(),
  })
  .strict();
export type AuditInput = z.input<typeof auditInputSchema>;

export const auditEntrySchema = auditInputSchema.extend({
  /**
   * The Redis user whose stream holds the entry. Under rediacc's ACLs a team user can append to its own stream
   * only, so unlike `actor` (which the writer states) this is proven by Redis.
   */
  user: z.string().min(1),
  /** Stream entry id within the user's stream, to read on from (`--follow`). */
  id: z.string().regex(/^\d+-\d+$/),
  /** ISO 8601, from the entry id. */
  at: z.string(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
