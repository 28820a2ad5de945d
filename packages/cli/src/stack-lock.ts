// One `rediacc up` per RDC_HOME: the stack file (RDC_HOME/up/stack.json) is also the lock. It is created
// atomically with the owner's pid (a hard link of a complete file, so no one ever reads it half-written); a
// second `up` that finds a live owner attaches to it instead of starting servers on the same data directories,
// and one whose owner is dead (kill -9, a crash, a reboot) takes the stale file over.
import { chmod, link, rename, rm, writeFile } from 'node:fs/promises';
import { isProcessAlive, type LocalStack, localStackPath, RdcError, readLocalStack } from '@rediacc/core';

export type StackClaim =
  | { readonly kind: 'acquired'; readonly lock: StackLock }
  | { readonly kind: 'running'; readonly stack: LocalStack };

export interface StackLock {
  /**
   * Records the stack's Redis URL (with password) for the other commands of this user, and once it serves one,
   * its console's URL for a second `up`. Each call replaces what the previous one recorded.
   */
  publish(url: string, details?: { dashboardUrl?: string }): Promise<void>;
  /** Removes the stack file, if it is still ours. Idempotent. */
  release(): Promise<void>;
}

const ATTEMPTS = 3;

export async function claimStack(home: string): Promise<StackClaim> {
  const path = localStackPath(home);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    if (await createExclusive(path, { pid: process.pid })) return { kind: 'acquired', lock: stackLock(path) };
    const stack = readLocalStack(path);
    if (stack && isProcessAlive(stack.pid)) {
      if (stack.url !== undefined) return { kind: 'running', stack };
      throw new RdcError(
        'RDC_STACK_IN_USE',
        `another rediacc up (pid ${stack.pid}) is starting the stack in ${home}; wait until it is up, then run this again`,
      );
    }
    // Stale: its owner is gone (or the file is not a stack file). Take it over.
    await rm(path, { force: true });
  }
  throw new RdcError('RDC_STACK_IN_USE', `could not take the lock ${path}: other processes keep creating it`);
}

function stackLock(path: string): StackLock {
  let released = false;
  const startedAt = new Date().toISOString();
  return {
    async publish(url, details = {}) {
      const stack: LocalStack = { pid: process.pid, url, startedAt, ...details };
      const temp = `${path}.${process.pid}`;
      await writeFile(temp, `${JSON.stringify(stack, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, path);
    },
    async release() {
      if (released) return;
      released = true;
      if (readLocalStack(path)?.pid === process.pid) await rm(path, { force: true });
    },
  };
}

/** Creates `path` holding `stack`, complete, unless it exists; true when this call created it. */
async function createExclusive(path: string, stack: LocalStack): Promise<boolean> {
  const temp = `${path}.${process.pid}`;
  await writeFile(temp, `${JSON.stringify(stack)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}
