// `rediacc --version` and `-V`, through the real binary: the CLI package's version on stdout, exit 0.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli-run.js';

const manifest = JSON.parse(readFileSync(new URL('../../packages/cli/package.json', import.meta.url), 'utf8'));

describe('rediacc --version', () => {
  it.each(['--version', '-V'])('%s prints the CLI package version and exits 0', async (flag) => {
    const run = await runCli([flag], { env: process.env });
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(run).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
  });
});
