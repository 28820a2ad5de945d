// `rediacc up` as a real process for end-to-end tests: started on a free Redis port with its own RDC_HOME, left
// running until the harness closes (SIGTERM), and handed back once it says the stack is up.
import { type ChildProcess, spawn } from 'node:child_process';
import { expect } from 'vitest';
import { CLI_BIN } from './cli-run.js';
import { freePort } from './free-port.js';
import type { Harness } from './harness.js';
import { waitFor } from './wait-for.js';

export interface RunningUp {
  child: ChildProcess;
  home: string;
  /** The local redis-server's port. */
  port: number;
  stdout(): string;
  /** stdout and stderr as they arrived. */
  output(): string;
  exited: Promise<void>;
}

export async function startUp(h: Harness, home: string, args: readonly string[] = []): Promise<RunningUp> {
  const port = await freePort();
  const env = { ...process.env, RDC_HOME: home, RDC_LOG_LEVEL: 'warn', REDIS_URL: '' };
  const child = spawn(process.execPath, [CLI_BIN, 'up', '--port', String(port), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let output = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
    output += d;
  });
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  h.own(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  await waitFor(
    'rediacc up to start',
    () => stdout.includes('Press Ctrl-C') || child.exitCode !== null || undefined,
    60_000,
  );
  expect(stdout, output).toContain('Press Ctrl-C');
  return { child, home, port, stdout: () => stdout, output: () => output, exited };
}
