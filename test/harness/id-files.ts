// Exactly-once checks on the machine's side: each command appends the id of its task (the agent exports
// RDC_TASK_ID) to a file on its machine, and the test compares what the files hold with the tasks it created.
import { existsSync, readFileSync } from 'node:fs';

/** A shell command that appends its task's id to `file` (then runs `body`, if given). */
export function idCommand(file: string, body?: string): string {
  return `echo "$RDC_TASK_ID" >> ${file}${body === undefined ? '' : `; ${body}`}`;
}

export interface IdTally {
  /** Ids written more than once, with how many times. */
  duplicates: Record<string, number>;
  /** Expected ids no file holds. */
  missing: string[];
  /** Ids in the files that were not expected. */
  unexpected: string[];
}

/** What `files` hold against `expected`: all three parts empty means every task ran exactly once. */
export function tallyIds(files: readonly string[], expected: readonly string[]): IdTally {
  const seen = new Map<string, number>();
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const id of readFileSync(file, 'utf8').split('\n').filter(Boolean)) seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  const wanted = new Set(expected);
  return {
    duplicates: Object.fromEntries([...seen].filter(([, n]) => n > 1)),
    missing: expected.filter((id) => !seen.has(id)),
    unexpected: [...seen.keys()].filter((id) => !wanted.has(id)),
  };
}
