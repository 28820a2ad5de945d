// `rediacc --version` and `-V`, through the real binary: the CLI package's version on stdout, exit 0. And `./rediacc`
// (setup, then the CLI) run by another local account in the owner's checkout: it changes nothing there, so it works.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli-run.js';

const manifest = JSON.parse(readFileSync(new URL('../../packages/cli/package.json', import.meta.url), 'utf8'));
const wrapper = new URL('../../rediacc', import.meta.url).pathname;

describe('rediacc --version', () => {
  it.each(['--version', '-V'])('%s prints the CLI package version and exits 0', async (flag) => {
    const run = await runCli([flag], { env: process.env });
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(run).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
  });

  it('./rediacc --version works for another local account in a checkout it does not own (the tests run as root)', async () => {
    const run = await promisify(execFile)('runuser', ['-u', 'nobody', '--', wrapper, '--version'], {
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? 1,
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }),
    );
    expect(run, run.stderr).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
  });
});
