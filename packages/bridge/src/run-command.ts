// Runs one command over a pooled connection and captures how it ended: exit code or signal, output
// (stdout and stderr interleaved as they arrived, bounded), and when it started and finished.
import { RdcError, type RunOutcome, type RunResult } from '@rediacc/core';
import type { ClientChannel } from 'ssh2';
import { OutputBuffer } from './output-buffer.js';
import { ChannelRefusedError, type SshConnection } from './ssh-connection.js';
import type { MachinePool } from './ssh-pool.js';

export interface RunOptions {
  outputCapBytes: number;
  timeoutMs?: number | undefined;
  /** Called once the command runs on the machine. */
  onStart?: (startedAt: number) => void;
}

const OPEN_RETRIES = 8;

export async function runCommand(pool: MachinePool, command: string, options: RunOptions): Promise<RunResult> {
  const { connection, result } = await openChannel(pool, command, (channel) => {
    const startedAt = Date.now();
    const collected = collect(channel, options, startedAt);
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

function collect(channel: ClientChannel, options: RunOptions, startedAt: number): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    const output = new OutputBuffer(options.outputCapBytes);
    let ending: RunOutcome | undefined;
    let timer: NodeJS.Timeout | undefined;
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
        channel.close();
      }, options.timeoutMs);
    }
    channel.on('close', () => {
      if (timer) clearTimeout(timer);
      if (!ending) {
        reject(
          new RdcError('RDC_SSH_CONNECT', 'the SSH connection was lost while the command ran', { retryable: true }),
        );
        return;
      }
      resolve({ ending, output: output.toString(), truncated: output.truncated, startedAt, finishedAt: Date.now() });
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
