// The task spec: the single definition of what a producer may ask for. Every entry point (SDK, CLI)
// parses through it, so defaults and limits live here and nowhere else.
import { z } from 'zod';
import { machineNameSchema, teamNameSchema } from './names.js';
import { secretRefsSchema } from './vault-records.js';

/** Commands above this size are refused: they belong in a script on the machine, not in a queue entry. */
export const MAX_COMMAND_BYTES = 64 * 1024;
/** Serialized vaultData above this size is refused. */
export const MAX_VAULT_DATA_BYTES = 64 * 1024;

export const PRIORITIES = [1, 2, 3, 4, 5] as const;
export type Priority = (typeof PRIORITIES)[number];

export const backoffSchema = z.enum(['fixed', 'exponential']);
export const failureActionSchema = z.enum(['none', 'alert']);

export const commandSchema = z
  .string({ error: 'command must be a string' })
  .refine((c) => c.trim().length > 0, 'command must not be empty')
  .refine((c) => Buffer.byteLength(c) <= MAX_COMMAND_BYTES, {
    // The size, never the text: a rejected command must not fill the terminal or the audit log.
    error: (issue) =>
      `command is ${Buffer.byteLength(String(issue.input))} bytes, more than the ${MAX_COMMAND_BYTES} allowed; put longer scripts in a file on the machine`,
  })
  .refine((c) => !c.includes('\0'), 'command must not contain NUL bytes');

export const taskIdSchema = z.uuid({
  error: 'taskId must be a UUID (for example 3f1c2b9e-8a41-4d7e-9c55-0e2f6d1a7b10)',
});

export const vaultDataSchema = z
  .record(z.string(), z.unknown())
  .refine((v) => Buffer.byteLength(JSON.stringify(v)) <= MAX_VAULT_DATA_BYTES, {
    error: (issue) =>
      `vaultData is ${Buffer.byteLength(JSON.stringify(issue.input))} bytes as JSON, more than the ${MAX_VAULT_DATA_BYTES} allowed`,
  });

export const taskSpecSchema = z
  .object({
    team: teamNameSchema,
    machine: machineNameSchema,
    command: commandSchema,
    priority: z
      .number()
      .int()
      .min(1, 'priority must be 1 (critical) to 5 (whenever)')
      .max(5, 'priority must be 1 (critical) to 5 (whenever)')
      .default(3),
    maxRetries: z.number().int().min(0).max(100, 'maxRetries must be at most 100').default(0),
    retryDelay: z
      .number()
      .min(0)
      .max(86_400, 'retryDelay is in seconds and must be at most 86400 (one day)')
      .default(30),
    backoff: backoffSchema.default('fixed'),
    /** Exponential backoff grows from retryDelay up to this many seconds (default 3600), never beyond. */
    maxRetryDelay: z
      .number()
      .min(0)
      .max(86_400, 'maxRetryDelay is in seconds and must be at most 86400 (one day)')
      .optional(),
    failureAction: failureActionSchema.default('none'),
    timeout: z
      .number()
      .positive('timeout must be a positive number of seconds')
      .max(7 * 86_400, 'timeout must be at most 604800 seconds (7 days)')
      .optional(),
    /**
     * Never run the command twice. Runs survive a bridge crash and are re-attached, not restarted; only when the
     * machine lost the run (rebooted) would the command be started again, and with runOnce the task fails instead.
     */
    runOnce: z.boolean().default(false),
    vaultData: vaultDataSchema.optional(),
    /**
     * Vault secrets the command gets as environment variables: "NAME" (variable NAME) or "ENV=NAME". Only the
     * names travel in the job; the bridge opens the values at run time.
     */
    secrets: secretRefsSchema.optional(),
    taskId: taskIdSchema.optional(),
  })
  .strict();

/** What callers pass (defaults optional). */
export type TaskSpecInput = z.input<typeof taskSpecSchema>;
/** What the rest of the system receives (defaults applied). */
export type TaskSpec = z.output<typeof taskSpecSchema>;
