// Vault entries: per team, name → value sealed to the team's public key (vault.ts). Two kinds share the hash:
//   secrets   NAME (a valid environment variable name, not RDC_…): what `--secret NAME` hands a command
//   ssh keys  ssh-key/MACHINE: the private key the bridges log in to MACHINE with (written by `machine add`)
// Records carry no plaintext and no length; names and kinds are safe to list.
import { z } from 'zod';
import { NAME_PATTERN } from './names.js';

/** Environment-variable-shaped; RDC_ is reserved for the agent's own variables. */
export const SECRET_NAME_PATTERN = /^(?!RDC_)[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const SSH_KEY_PREFIX = 'ssh-key/';
/** A secret's value above this size is refused (environment space on the machine is limited). */
export const MAX_SECRET_BYTES = 64 * 1024;
/** Secrets one task may ask for. */
export const MAX_TASK_SECRETS = 64;

const SECRET_NAME_MESSAGE =
  'secret name must be 1-128 letters, digits or "_", not starting with a digit or RDC_ (an environment variable name, for example API_TOKEN)';

export const secretNameSchema = z
  .string({ error: 'secret name must be a string' })
  .regex(SECRET_NAME_PATTERN, SECRET_NAME_MESSAGE);

/** The vault entry holding a machine's SSH private key. */
export function sshKeyEntry(machine: string): string {
  return `${SSH_KEY_PREFIX}${machine}`;
}

export const vaultEntryNameSchema = z
  .string({ error: 'vault entry name must be a string' })
  .refine(
    (name) =>
      SECRET_NAME_PATTERN.test(name) ||
      (name.startsWith(SSH_KEY_PREFIX) && NAME_PATTERN.test(name.slice(SSH_KEY_PREFIX.length))),
    `vault entry name must be a secret name (${SECRET_NAME_MESSAGE}) or ${SSH_KEY_PREFIX}MACHINE`,
  );

export const secretValueSchema = z
  .string({ error: 'secret value must be a string' })
  .min(1, 'secret value must not be empty')
  .refine((v) => Buffer.byteLength(v) <= MAX_SECRET_BYTES, `secret value must be at most ${MAX_SECRET_BYTES} bytes`)
  .refine((v) => !v.includes('\0'), 'secret value must not contain NUL bytes (environment values cannot hold them)');

export const vaultKindSchema = z.enum(['secret', 'ssh-key']);
export type VaultKind = z.infer<typeof vaultKindSchema>;

export const vaultRecordSchema = z.object({
  kind: vaultKindSchema,
  /** The value sealed to the team's public key (base64). */
  sealed: z.string().min(1),
  updatedAt: z.number(),
});
export type VaultRecord = z.infer<typeof vaultRecordSchema>;

/** What `vault list` shows: never a value. */
export interface VaultEntryInfo {
  name: string;
  kind: VaultKind;
  updatedAt: number;
}

/**
 * `--secret NAME` or `--secret ENV=NAME`: the command gets environment variable ENV (default NAME) holding the
 * value of the vault's secret NAME. Job data carries these names only.
 */
export const secretRefSchema = z
  .union([
    z.string({ error: 'secret must be NAME or ENV=NAME' }).transform((ref, ctx) => {
      const [env, name = env, ...rest] = ref.split('=');
      for (const part of [env, name]) {
        if (rest.length > 0 || part === undefined || !SECRET_NAME_PATTERN.test(part)) {
          ctx.addIssue({
            code: 'custom',
            message: `secret ${JSON.stringify(ref.slice(0, 140))} must be NAME or ENV=NAME; ${SECRET_NAME_MESSAGE}`,
          });
          return z.NEVER;
        }
      }
      return { env: env as string, name };
    }),
    z.object({ env: secretNameSchema, name: secretNameSchema }).strict(),
  ])
  .pipe(z.object({ env: z.string(), name: z.string() }));
export type SecretRef = z.output<typeof secretRefSchema>;

export const secretRefsSchema = z
  .array(secretRefSchema)
  .max(MAX_TASK_SECRETS, `a task may ask for at most ${MAX_TASK_SECRETS} secrets`)
  .refine((refs) => new Set(refs.map((r) => r.env)).size === refs.length, 'secrets: the same variable appears twice');
