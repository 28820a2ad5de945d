// Bridges as real processes (bridge-main.mjs), owned by the harness: a test may SIGKILL, SIGSTOP or SIGTERM them;
// whatever is left is killed when the harness closes. Their log goes to a file in the harness's temp dir.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BridgeConfigInput } from '@rediacc/bridge';
import type { Harness } from './harness.js';
import { signalTarget } from './signals.js';

export interface BridgeProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  signal(signal: NodeJS.Signals): void;
  log(): string;
}

const MAIN = new URL('./bridge-main.mjs', import.meta.url).pathname;

export async function startBridgeProcess(
  h: Harness,
  config: BridgeConfigInput & { name: string },
): Promise<BridgeProcess> {
  const dir = await h.tempDir('bridge-proc');
  const logPath = join(dir, 'bridge.log');
  const fd = openSync(logPath, 'a');
  const child: ChildProcess = spawn(process.execPath, [MAIN, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', fd],
    env: { ...process.env, RDC_LOG_LEVEL: 'info' },
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  h.own(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    }
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready\n')) resolve();
    });
    exited.then((code) =>
      reject(new Error(`bridge ${config.name} exited with ${code} before it was ready:\n${readLog()}`)),
    );
  });
  function readLog(): string {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  }
  return {
    name: config.name,
    pid: signalTarget(child.pid, `bridge ${config.name}`),
    logPath,
    exited,
    signal: (signal) => child.kill(signal),
    log: readLog,
  };
}
