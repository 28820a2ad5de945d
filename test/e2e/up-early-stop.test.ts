// `rediacc up` stopped while it is still starting: a SIGTERM or Ctrl-C in its first moments stops what it started
// so far (redis-server, sshd) and exits cleanly, instead of Node's default death that orphans them.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_BIN } from '../harness/cli-run.js';
import { freePort } from '../harness/free-port.js';
import { useHarness } from '../harness/index.js';
import { alive, descendants } from '../harness/signals.js';
import { waitFor } from '../harness/wait-for.js';

const h = useHarness();

describe('rediacc up stopped while starting', () => {
  for (const [signal, step, after] of [
    ['SIGTERM', 'redis', /^redis {4}/m],
    ['SIGINT', 'machine', /^machine {2}/m],
  ] as const) {
    it(`stops everything it started on a ${signal} right after its ${step} line`, async () => {
      const home = await h.tempDir('up-early');
      const child = spawn(process.execPath, [CLI_BIN, 'up', '--port', String(await freePort()), '--no-dashboard'], {
        env: { ...process.env, RDC_HOME: home, RDC_LOG_LEVEL: 'warn', REDIS_URL: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      h.own(async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      });
      await waitFor(`up to print ${after}`, () => after.test(stdout) || child.exitCode !== null || undefined, 60_000);
      const started = descendants(child.pid, 'rediacc up');
      expect(started.length, 'up has started redis-server by now').toBeGreaterThan(0);
      child.kill(signal);
      await exited;
      expect({ code: child.exitCode, signal: child.signalCode }, stdout).toEqual({ code: 0, signal: null });
      expect(stdout).not.toContain('Press Ctrl-C');
      expect(started.filter((pid) => alive(pid))).toEqual([]);
      expect(existsSync(join(home, 'up', 'stack.json'))).toBe(false);
    });
  }
});
