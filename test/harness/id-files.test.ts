// The exactly-once checker must be able to fail: a task written twice, one never written and a stranger each show.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tallyIds } from './id-files.js';
import { useHarness } from './use-harness.js';

const h = useHarness();

describe('tallyIds', () => {
  it('is empty when every id is written once, across files, and names duplicates, gaps and strangers', async () => {
    const dir = await h.tempDir('ids');
    const [a, b] = [join(dir, 'a.ids'), join(dir, 'b.ids')];
    await writeFile(a, 't1\nt2\n');
    await writeFile(b, 't3\n');
    expect(tallyIds([a, b, join(dir, 'never-written.ids')], ['t1', 't2', 't3'])).toEqual({
      duplicates: {},
      missing: [],
      unexpected: [],
    });
    await writeFile(b, 't3\nt1\nt9\n');
    expect(tallyIds([a, b], ['t1', 't2', 't3', 't4'])).toEqual({
      duplicates: { t1: 2 },
      missing: ['t4'],
      unexpected: ['t9'],
    });
  });
});
