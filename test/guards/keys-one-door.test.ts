// The key layout has one door: `@rediacc/core` (packages/core/src/keys.ts). @rediacc/queue must not hand the same
// names out again, or imports drift back to it. The check loads queue's entry and names every export that is one of
// keys.ts's; a planted re-export next to the entry shows that the check catches one.
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const queueSrc = fileURLToPath(new URL('../../packages/queue/src/', import.meta.url));

/** The names of keys.ts that the module at `path` exports too. */
async function keyNamesExportedBy(path: string): Promise<string[]> {
  const keyNames = Object.keys(await import('../../packages/core/src/keys.js'));
  expect(keyNames).toContain('registryKeys');
  const exported = new Set(Object.keys(await import(/* @vite-ignore */ path)));
  return keyNames.filter((name) => exported.has(name)).sort();
}

describe('the key layout has one door', () => {
  it('@rediacc/queue exports none of the names of core/src/keys.ts', async () => {
    expect(await keyNamesExportedBy(`${queueSrc}index.ts`)).toEqual([]);
  });

  it('catches a planted re-export of core keys from queue', async () => {
    const plant = `${queueSrc}planted-keys-reexport.ts`;
    writeFileSync(plant, "export * from './index.js';\nexport { registryKeys, teamPrefix } from '@rediacc/core';\n");
    try {
      expect(await keyNamesExportedBy(plant)).toEqual(['registryKeys', 'teamPrefix']);
    } finally {
      rmSync(plant, { force: true });
    }
  });
});
