// Records of the registry kept in Redis: teams and their machines.
import { z } from 'zod';
import { machineTagsSchema, tagKeySchema } from './machine-tags.js';
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

/** Where the machine's sshd reads the login user's authorized keys (for key rotation): absolute, or relative to home. */
export const authorizedKeysFileSchema = z
  .string()
  .min(1)
  .max(4_096)
  .regex(/^[A-Za-z0-9._/~-]+$/, 'authorized keys file must be a path of letters, digits, ".", "_", "-", "/" or "~"');

export const DEFAULT_AUTHORIZED_KEYS_FILE = '.ssh/authorized_keys';

const machineFields = {
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
  hostKeyFingerprint: hostKeyFingerprintSchema,
  /** Tasks this machine runs at once across the whole fleet; overrides the bridges' --max-per-machine. */
  maxConcurrent: maxConcurrentSchema.optional(),
  /** The login user's authorized_keys on the machine, which `machine rotate-key` edits (default .ssh/authorized_keys). */
  authorizedKeysFile: authorizedKeysFileSchema.optional(),
  /** Labels that select the machine for fan-out batches and pool tasks: `{ role: 'web', env: 'prod' }`. */
  tags: machineTagsSchema.optional(),
};

/**
 * What `machines.add` takes. The SSH private key comes as a file path on the caller's host (`keyFile`, read there)
 * or as its content (`privateKey`); either way it is sealed into the team's vault (ssh-key/NAME), never stored
 * in the clear.
 */
export const machineInputSchema = z
  .object({
    ...machineFields,
    keyFile: z.string().min(1, 'key file path must not be empty').optional(),
    privateKey: z.string().min(1, 'private key must not be empty').optional(),
  })
  .strict()
  .refine((m) => (m.keyFile === undefined) !== (m.privateKey === undefined), {
    message: 'give the SSH private key as exactly one of keyFile (a path) or privateKey (its content)',
    path: ['keyFile'],
  });
export type MachineInput = z.input<typeof machineInputSchema>;

export const machineRecordSchema = z.object({
  ...machineFields,
  addedAt: z.number(),
  /** SHA256 fingerprint of the public half of the machine's SSH key (in the vault as ssh-key/NAME). */
  keyFingerprint: z.string().optional(),
  /** Records from before the vault: bridges read the key from this path on their own host. */
  keyFile: z.string().min(1).optional(),
});
export type MachineRecord = z.infer<typeof machineRecordSchema>;

/**
 * A change to a registered machine: `maxConcurrent: null` removes the machine's own limit; `hostKeyFingerprint`
 * re-pins its host key (`machine trust`); `tags` sets tags and `untag` removes them (`machine tag`, `machine untag`).
 */
export const machinePatchSchema = z
  .object({
    maxConcurrent: maxConcurrentSchema.nullable().optional(),
    hostKeyFingerprint: hostKeyFingerprintSchema.optional(),
    /** Tags to set (added, or a key's value replaced); the machine's other tags stay. */
    tags: machineTagsSchema.optional(),
    /** Tag keys to remove. */
    untag: z.array(tagKeySchema).optional(),
  })
  .strict();
export type MachinePatch = z.input<typeof machinePatchSchema>;
