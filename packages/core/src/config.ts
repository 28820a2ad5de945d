// Process configuration from the environment, parsed once at the edge. The Redis URL comes from REDIS_URL, else
// from the stack `rediacc up` runs for this RDC_HOME (its URL carries the password), else the default.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { actorSchema } from './audit-entry.js';
import { RdcError } from './errors.js';
import { runningLocalStackUrl } from './local-stack-file.js';
import { formatIssues } from './validation.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const envSchema = z.object({
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'REDIS_URL must start with redis:// or rediss:// (for example redis://127.0.0.1:6379)')
    .optional(),
  RDC_HOME: z.string().min(1).optional(),
  RDC_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RDC_ACTOR: actorSchema.optional(),
});

export interface RdcConfig {
  /** A secret when it carries a password: never log it (messages name only host:port, via redisAddress). */
  redisUrl: string;
  /** Where redisUrl came from, for messages: the variable, the running `rediacc up` stack, or the default. */
  redisUrlSource: 'REDIS_URL' | 'local stack' | 'default';
  /** Local state: key files, `rediacc up` stack. */
  home: string;
  logLevel: z.infer<typeof envSchema>['RDC_LOG_LEVEL'];
  /** Who the audit log names for this process's actions; default: the Redis ACL user (ACL WHOAMI). */
  actor?: string;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): RdcConfig {
  const parsed = envSchema.safeParse({
    REDIS_URL: env.REDIS_URL || undefined,
    RDC_HOME: env.RDC_HOME || undefined,
    RDC_LOG_LEVEL: env.RDC_LOG_LEVEL || undefined,
    RDC_ACTOR: env.RDC_ACTOR || undefined,
  });
  if (!parsed.success) throw new RdcError('RDC_CONFIG_INVALID', formatIssues(parsed.error.issues));
  const home = parsed.data.RDC_HOME ?? join(homedir(), '.rediacc');
  const stackUrl = parsed.data.REDIS_URL === undefined ? runningLocalStackUrl(home) : undefined;
  return {
    redisUrl: parsed.data.REDIS_URL ?? stackUrl ?? DEFAULT_REDIS_URL,
    redisUrlSource:
      parsed.data.REDIS_URL !== undefined ? 'REDIS_URL' : stackUrl !== undefined ? 'local stack' : 'default',
    home,
    logLevel: parsed.data.RDC_LOG_LEVEL,
    ...(parsed.data.RDC_ACTOR !== undefined && { actor: parsed.data.RDC_ACTOR }),
  };
}
