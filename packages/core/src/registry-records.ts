// Records of the registry kept in Redis: teams and their machines.
import { z } from 'zod';
import { machineNameSchema, teamNameSchema } from './names.js';

export const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;

export const hostKeyFingerprintSchema = z
  .string()
  .regex(
    FINGERPRINT_PATTERN,
    'host key fingerprint must look like SHA256: followed by 43 base64 characters, as `ssh-keygen -lf` prints it',
  );

export const MAX_CONCURRENT_LIMIT = 1_000;

export const maxConcurrentSchema = z
  .number()
  .int('max concurrent must be a whole number')
  .min(1, `max concurrent must be from 1 to ${MAX_CONCURRENT_LIMIT}`)
  .max(MAX_CONCURRENT_LIMIT, `max concurrent must be from 1 to ${MAX_CONCURRENT_LIMIT}`);

export const teamRecordSchema = z.object({
  name: teamNameSchema,
  /** NaCl box public key (base64); vault data is sealed to it. The secret key never enters Redis. */
  publicKey: z.string().optional(),
  createdAt: z.number(),
});
export type TeamRecord = z.infer<typeof teamRecordSchema>;

export const machineInputSchema = z
  .object({
    name: machineNameSchema,
    team: teamNameSchema,
    host: z
      .string()
      .min(1, 'host must not be empty')
      .max(255)
      .regex(/^[A-Za-z0-9.:_-]+$/, 'host must be a host name or IP address (letters, digits, ".", ":", "-")'),
    port: z.number().int().min(1, 'port must be 1-65535').max(65_535, 'port must be 1-65535').default(22),
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_.-]{0,31}$/i, 'user must be a Unix user name (for example root or deploy)')
      .default('root'),
    /** Absolute path of the private key file the bridges use for this machine. */
    keyFile: z.string().min(1, 'key file path must not be empty'),
    hostKeyFingerprint: hostKeyFingerprintSchema,
    /** Tasks this machine runs at once across the whole fleet; overrides the bridges' --max-per-machine. */
    maxConcurrent: maxConcurrentSchema.optional(),
  })
  .strict();
export type MachineInput = z.input<typeof machineInputSchema>;

export const machineRecordSchema = machineInputSchema.extend({ addedAt: z.number() });
export type MachineRecord = z.infer<typeof machineRecordSchema>;

/** A change to a registered machine; `maxConcurrent: null` removes the machine's own limit. */
export const machinePatchSchema = z
  .object({
    maxConcurrent: maxConcurrentSchema.nullable().optional(),
  })
  .strict();
export type MachinePatch = z.input<typeof machinePatchSchema>;
