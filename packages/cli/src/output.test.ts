import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('.', import.meta.url).pathname;
// The only modules that may write to stdout or stderr themselves: everything else prints through output.ts, so
// text for people is escaped on a terminal and JSON carries no raw control character.
const WRITERS = new Set(['output.ts', 'terminal-text.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('output', () => {
  it('commands print only through output.ts', () => {
    const offenders = sources(SRC)
      .filter((path) => !WRITERS.has(path.slice(SRC.length)))
      .filter((path) =>
        /process\.(stdout|stderr)\.write|console\.(log|error|warn|info)/.test(readFileSync(path, 'utf8')),
      );
    expect(offenders.map((path) => path.slice(SRC.length))).toEqual([]);
  });
});
