// The README and docs/ point only inside the repository: every relative link and every backquoted path that
// climbs out with `../` would send a contributor to a file a clone does not have.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Relative targets of markdown links `[text](target)` and `../` paths in backquotes. */
function references(text: string): string[] {
  const links = [...text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)].map((m) => m[1] ?? '');
  const quoted = [...text.matchAll(/`(\.\.\/[^`\s]+)`/g)].map((m) => m[1] ?? '');
  return [...links, ...quoted].filter((target) => !/^[a-z]+:/i.test(target));
}

describe('documentation links', () => {
  it.each(docs)('%s links only to files inside the repository that exist', (doc) => {
    const outside: string[] = [];
    const missing: string[] = [];
    for (const target of references(readFileSync(join(root, doc), 'utf8'))) {
      const path = resolve(dirname(join(root, doc)), target);
      if (relative(root, path).startsWith('..')) outside.push(target);
      else if (!existsSync(path)) missing.push(target);
    }
    expect({ outside, missing }).toEqual({ outside: [], missing: [] });
  });

  it('the check sees a link out of the repository', () => {
    expect(references('see [design](../shared/DESIGN.md) and `../shared/STYLE.md`')).toEqual([
      '../shared/DESIGN.md',
      '../shared/STYLE.md',
    ]);
  });
});
