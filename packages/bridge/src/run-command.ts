// Runs one command over a pooled connection and captures how it ended: exit code or signal, output
// (stdout and stderr interleaved as they arrived, bounded), and when it started and finished.
import { RdcError, type RunOutcome, type RunResult } from '@rediacc/core';
import type { ClientChannel } from 'ssh2';
import { OutputBuffer } from './output-buffer.js';
import { killCommand, wrapCommand } from './remote-run.js';
import { ChannelRefusedError, type SshConnection } from './ssh-connection.js';
import type { MachinePool } from './ssh-pool.js';

export interface RunOptions {
  /** Names the run on the machine (its process group file). */
  taskId: string;
  outputCapBytes: number;
  /** Seconds between TERM and KILL when a run is stopped. */
  killGraceSeconds: number;
  timeoutMs?: number | undefined;
  /** Called once the command runs on the machine. */
  onStart?: (startedAt: number) => void;
}

const OPEN_RETRIES = 8;

export async function runCommand(pool: MachinePool, command: string, options: RunOptions): Promise<RunResult> {
  const { connection, result } = await openChannel(pool, execString(command, options), (channel) => {
    const startedAt = Date.now();
    const collected = collect(channel, options, startedAt, () => stopRemote(pool, options));
    options.onStart?.(startedAt);
    return { collected };
  });
  try {
    return await result.collected;
  } finally {
    pool.release(connection);
  }
}

/** Opens an exec channel, retrying with backoff when the server refuses (MaxSessions) or a reused connection died. */
async function openChannel<T>(
  pool: MachinePool,
  command: string,
  attach: (channel: ClientChannel) => T,
): Promise<{ connection: SshConnection; result: T }> {
  for (let attempt = 0; ; attempt++) {
    const connection = await pool.acquire();
    try {
      return { connection, result: await connection.exec(command, attach) };
    } catch (error) {
      pool.release(connection);
      if (!(error instanceof ChannelRefusedError) || attempt >= OPEN_RETRIES) {
        throw new RdcError('RDC_SSH_CONNECT', `could not open a channel: ${(error as Error).message}`, {
          cause: error,
          retryable: true,
        });
      }
      if (connection.alive) pool.refused(connection);
      await sleep(Math.min(5 * 2 ** attempt, 500));
    }
  }
}

/**
 * Only runs that may need killing pay for the wrapper: it costs about two process spawns on the machine and
 * halved throughput of short commands here (77 → 38 tasks/s). Cancel of running tasks will need it for every
 * run; the cheaper supervisor that makes that affordable is tracked in the reliable-execution issue.
 */
function execString(command: string, options: RunOptions): string {
  return options.timeoutMs === undefined ? command : wrapCommand(options.taskId, command);
}

/** Kills the run's process tree on the machine through a second exec; the first channel then ends by itself. */
async function stopRemote(pool: MachinePool, options: RunOptions): Promise<void> {
  const { connection, result } = await openChannel(
    pool,
    killCommand(options.taskId, options.killGraceSeconds),
    (channel) => {
      channel.resume();
      channel.stderr.resume();
      return new Promise<void>((resolve) => channel.on('close', () => resolve()));
    },
  );
  try {
    await result;
  } finally {
    pool.release(connection);
  }
}

function collect(
  channel: ClientChannel,
  options: RunOptions,
  startedAt: number,
  stop: () => Promise<void>,
): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    const output = new OutputBuffer(options.outputCapBytes);
    let ending: RunOutcome | undefined;
    let timer: NodeJS.Timeout | undefined;
    let backstop: NodeJS.Timeout | undefined;
    channel.on('data', (chunk: Buffer) => output.push(chunk));
    channel.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    // ssh2 reports either (code) or (null, signalName, coreDumped, description).
    channel.on('exit', (code: number | null, signal?: string) => {
      ending ??=
        code !== null && code !== undefined
          ? { outcome: 'exited', exitCode: code }
          : { outcome: 'signalled', signal: signal ?? 'unknown' };
    });
    if (options.timeoutMs !== undefined) {
      const seconds = options.timeoutMs / 1000;
      timer = setTimeout(() => {
        ending ??= { outcome: 'timed-out', afterSeconds: seconds };
        // The channel closes when the killed process group is gone. If that never comes, close it and
        // settle anyway: sshd may not confirm a close while its child still runs.
        backstop = setTimeout(
          () => {
            channel.close();
            settle();
          },
          (options.killGraceSeconds + 3) * 1000,
        );
        stop().catch(() => {});
      }, options.timeoutMs);
    }
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (backstop) clearTimeout(backstop);
      if (!ending) {
        reject(
          new RdcError('RDC_SSH_CONNECT', 'the SSH connection was lost while the command ran', { retryable: true }),
        );
        return;
      }
      resolve({ ending, output: output.toString(), truncated: output.truncated, startedAt, finishedAt: Date.now() });
    };
    channel.on('close', settle);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
