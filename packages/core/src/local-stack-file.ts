// The file `rediacc up` keeps in RDC_HOME/up while its stack runs: the pid of the `up` process (a lock: one stack
// per RDC_HOME) and, once Redis answers, the stack's Redis URL with its password. Mode 0600 in a 0700 directory,
// so only the user who started the stack reads it; every other command of that user finds the stack through it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const localStackSchema = z.object({
  /** The `rediacc up` process that owns the stack. */
  pid: z.number().int().positive(),
  /** Redis URL with password: a secret. Absent while the stack is starting. */
  url: z
    .string()
    .regex(/^redis(s|\+sentinel|\+cluster)?:\/\//)
    .optional(),
  startedAt: z.string().optional(),
  /** The web console `up` serves (never a login token: those are printed once and stored only hashed). */
  dashboardUrl: z
    .string()
    .regex(/^https?:\/\//)
    .optional(),
});

export type LocalStack = z.infer<typeof localStackSchema>;

export function localStackPath(home: string): string {
  return join(home, 'up', 'stack.json');
}

/** The stack file's content, or undefined when it is absent, unreadable (another user's) or not ours. */
export function readLocalStack(path: string): LocalStack | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = localStackSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** True while `pid` runs (EPERM: it runs, as another user). A stack file whose pid is dead is stale. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The Redis URL of the stack `rediacc up` runs for `home`, if one runs. */
export function runningLocalStackUrl(home: string): string | undefined {
  const stack = readLocalStack(localStackPath(home));
  return stack?.url !== undefined && isProcessAlive(stack.pid) ? stack.url : undefined;
}
