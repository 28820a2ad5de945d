import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { locateProgram, searchDirs } from './binaries.js';

const missing = { name: 'rediacc-no-such-program', aptPackage: 'rediacc-no-such-package' };

describe('locateProgram', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('returns the absolute path of the first executable match', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rediacc-bin-'));
    dirs.push(dir);
    await writeFile(join(dir, missing.name), '#!/bin/sh\n', { mode: 0o755 });
    expect(await locateProgram(missing, ['/nonexistent', dir])).toBe(join(dir, missing.name));
  });

  it('names the program and the apt package when it is missing', async () => {
    const error = await locateProgram(missing, ['/nonexistent']).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'RDC_MISSING_DEPENDENCY' });
    expect(String((error as Error).message)).toMatch(
      /^rediacc-no-such-program is not installed: .*apt-get install -y rediacc-no-such-package/,
    );
  });
});

describe('searchDirs', () => {
  it('adds the sbin directories a non-root PATH lacks, skipping relative entries and duplicates', () => {
    expect(searchDirs('/usr/bin:relative:/opt/bin')).toEqual([
      '/usr/bin',
      '/opt/bin',
      '/usr/sbin',
      '/usr/local/sbin',
      '/usr/local/bin',
    ]);
    expect(searchDirs(undefined)).toContain('/usr/sbin');
  });
});
