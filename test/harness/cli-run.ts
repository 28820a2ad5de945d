// The `rediacc` CLI as a real process, for end-to-end tests: run it with arguments, an environment and optional
// stdin, and get its exit code and output (killed, and the test failed, if it runs past its timeout).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestMachine } from './harness.js';

export const CLI_BIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      env: options.env,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rediacc ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * `machine add NAME --team TEAM …` for a harness machine, its host key pinned; `{ pinHostKey: false }` leaves the
 * key to the command's own checks (the arguments then end with the key file, so a case may swap it).
 */
export function machineAddArgs(
  machine: TestMachine,
  team: string,
  name: string,
  { pinHostKey = true }: { pinHostKey?: boolean } = {},
): string[] {
  return [
    'machine',
    'add',
    name,
    '--team',
    team,
    '--host',
    machine.host,
    '--port',
    String(machine.port),
    '--user',
    machine.user,
    '--key-file',
    machine.privateKeyPath,
    ...(pinHostKey ? ['--host-key-fingerprint', machine.hostKeyFingerprint] : []),
  ];
}
