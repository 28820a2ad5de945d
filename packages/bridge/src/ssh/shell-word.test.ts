import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellWord } from './shell-word.js';

describe('shellWord', () => {
  it('gives back any value (no NUL) unchanged through sh, whatever quotes, newlines or $() it holds', () => {
    fc.assert(
      fc.property(
        fc
          .oneof(fc.string(), fc.constantFrom("it's", "'; rm -rf / #", '$(id) `id` $HOME\n"x"', "''", '\n'))
          .filter((s) => !s.includes('\0')),
        (value) => {
          const out = execFileSync('/bin/sh', ['-c', `printf %s ${shellWord(value)}`], { encoding: 'utf8' });
          expect(out).toBe(value);
        },
      ),
      { numRuns: 60 },
    );
  });
});
