// Process configuration from the environment, parsed once at the edge. The Redis target comes from REDIS_URL,
// REDIS_SENTINELS (+ REDIS_SENTINEL_NAME) or REDIS_CLUSTER_NODES (redis-target.ts), else from the stack `rediacc up` runs for this RDC_HOME (its URL carries the password), else the default.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { actorSchema } from './audit-entry.js';
import { RdcError } from './errors.js';
import { runningLocalStackUrl } from './local-stack-file.js';
import { type RedisTargetSource, redisTargetFromEnv } from './redis-target.js';
import { formatIssues } from './validation.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const envSchema = z.object({
  RDC_HOME: z.string().min(1).optional(),
  RDC_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RDC_ACTOR: actorSchema.optional(),
});

export interface RdcConfig {
  /** A secret when it carries a password: never log it (messages name only host:port, via redisAddress). */
  redisUrl: string;
  /** Where redisUrl came from, for messages: the variable, the running `rediacc up` stack, or the default. */
  redisUrlSource: RedisTargetSource | 'local stack' | 'default';
  /** Local state: key files, `rediacc up` stack. */
  home: string;
  logLevel: z.infer<typeof envSchema>['RDC_LOG_LEVEL'];
  /** Who the audit log names for this process's actions; default: the Redis ACL user (ACL WHOAMI). */
  actor?: string;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): RdcConfig {
  let fromEnv: ReturnType<typeof redisTargetFromEnv>;
  let targetError: string | undefined;
  try {
    fromEnv = redisTargetFromEnv(env);
  } catch (error) {
    if (!(error instanceof RdcError)) throw error;
    targetError = error.message;
  }
  const parsed = envSchema.safeParse({
    RDC_HOME: env.RDC_HOME || undefined,
    RDC_LOG_LEVEL: env.RDC_LOG_LEVEL || undefined,
    RDC_ACTOR: env.RDC_ACTOR || undefined,
  });
  if (!parsed.success || targetError !== undefined) {
    const issues = parsed.success ? [] : [formatIssues(parsed.error.issues)];
    throw new RdcError('RDC_CONFIG_INVALID', [targetError, ...issues].filter(Boolean).join('; '));
  }
  const home = parsed.data.RDC_HOME ?? join(homedir(), '.rediacc');
  const stackUrl = fromEnv === undefined ? runningLocalStackUrl(home) : undefined;
  return {
    redisUrl: fromEnv?.target ?? stackUrl ?? DEFAULT_REDIS_URL,
    redisUrlSource: fromEnv?.source ?? (stackUrl !== undefined ? 'local stack' : 'default'),
    home,
    logLevel: parsed.data.RDC_LOG_LEVEL,
    ...(parsed.data.RDC_ACTOR !== undefined && { actor: parsed.data.RDC_ACTOR }),
  };
}
