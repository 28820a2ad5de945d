// One authenticated SSH connection to a machine. Host keys are checked against the pinned fingerprint before
// authentication; a mismatch refuses to connect.
import { RdcError } from '@rediacc/core';
import { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { fingerprintOf } from './host-key.js';
import { openSocket } from './socket.js';

export interface SshTarget {
  /** `team/name`, for messages and logs. */
  label: string;
  host: string;
  port: number;
  user: string;
  /** The private key, in memory only (opened from the team's vault, or read from a legacy key file). */
  privateKey: Buffer | string;
  /** Where the key came from, for messages: "vault entry ssh-key/m1", "key file /path". */
  keySource: string;
  hostKeyFingerprint: string;
}

export interface ConnectionOptions {
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

/** Raised when the server refuses a channel or the connection is gone: open another connection. */
export class ChannelRefusedError extends Error {}

export class SshConnection {
  alive = true;
  private readonly closeHandlers: (() => void)[] = [];

  private constructor(private readonly client: Client) {
    const onGone = () => {
      if (!this.alive) return;
      this.alive = false;
      for (const handler of this.closeHandlers) handler();
    };
    client.on('close', onGone);
    client.on('end', onGone);
    client.on('error', onGone);
  }

  static async open(target: SshTarget, options: ConnectionOptions): Promise<SshConnection> {
    const privateKey = target.privateKey;
    const sock = await openSocket(target.host, target.port, options.connectTimeoutMs).catch((error: unknown) => {
      // The socket knows only host:port (an unreachable address, a cut link): name the machine, as the task's
      // error is all its owner sees.
      if (!(error instanceof RdcError)) throw error;
      throw new RdcError(error.code, `SSH to ${target.label}: ${error.message}`, {
        cause: error.cause,
        retryable: error.retryable,
      });
    });
    const client = new Client();
    // ssh2 may emit more than one error (a protocol error after a timeout, a reset after a close); an 'error'
    // without a listener would crash the bridge. The handlers below decide what an error means.
    client.on('error', () => {});
    let mismatch: string | undefined;
    return new Promise<SshConnection>((resolve, reject) => {
      // ssh2 starts its readyTimeout only for sockets it opens itself: a machine that accepts the TCP connection
      // but never answers (hung sshd) would hold this forever.
      const timer = setTimeout(() => {
        const error = new RdcError(
          'RDC_SSH_CONNECT',
          `SSH handshake with ${target.label} (${target.host}:${target.port}) timed out after ${options.connectTimeoutMs / 1000}s`,
          { retryable: true },
        );
        client.removeAllListeners('ready');
        client.destroy();
        fail(error);
      }, options.connectTimeoutMs);
      const fail = (error: Error & { level?: string }) => {
        clearTimeout(timer);
        sock.destroy();
        reject(connectError(target, error, mismatch));
      };
      client.once('error', fail);
      client.once('ready', () => {
        clearTimeout(timer);
        client.off('error', fail);
        resolve(new SshConnection(client));
      });
      client.connect({
        sock,
        username: target.user,
        privateKey,
        readyTimeout: options.connectTimeoutMs,
        keepaliveInterval: options.keepaliveIntervalMs,
        keepaliveCountMax: options.keepaliveCountMax,
        hostVerifier: (key: Buffer) => {
          const seen = fingerprintOf(key);
          if (seen === target.hostKeyFingerprint) return true;
          mismatch = seen;
          return false;
        },
      });
    });
  }

  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }

  /**
   * Opens an exec channel. `attach` runs inside ssh2's callback: a short command's exit-status can arrive
   * in the same read as the open confirmation and is emitted before any promise continuation would run.
   */
  exec<T>(command: string, attach: (channel: ClientChannel) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (!this.alive) {
        reject(new ChannelRefusedError('connection closed'));
        return;
      }
      try {
        this.client.exec(command, (error, channel) => {
          if (!error) resolve(attach(channel));
          else if (/open failed|No response from server|Not connected/i.test(error.message)) {
            reject(new ChannelRefusedError(error.message));
          } else reject(error);
        });
      } catch (error) {
        // ssh2 throws synchronously when the connection is already gone.
        reject(new ChannelRefusedError(error instanceof Error ? error.message : String(error)));
      }
    });
  }

  /**
   * Opens the connection's SFTP session (sshd's `Subsystem sftp`); rejects when sshd has none, and the bridge
   * then reads output through the agent.
   */
  sftp(): Promise<SFTPWrapper> {
    return new Promise<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((error, sftp) => {
        if (error) {
          reject(
            new RdcError('RDC_AGENT', `the machine's sshd offers no SFTP subsystem: ${error.message}`, {
              cause: error,
            }),
          );
        } else resolve(sftp);
      });
    });
  }

  close(): void {
    this.alive = false;
    this.client.end();
  }

  /** Drops the connection at once, for a peer that no longer answers (end() would wait on it). */
  destroy(): void {
    this.alive = false;
    this.client.destroy();
  }
}

function connectError(target: SshTarget, error: Error & { level?: string }, mismatch: string | undefined): RdcError {
  const where = `${target.label} (${target.user}@${target.host}:${target.port})`;
  if (mismatch) {
    return new RdcError(
      'RDC_HOST_KEY_MISMATCH',
      `host key mismatch for ${where}: expected ${target.hostKeyFingerprint}, got ${mismatch}; nothing was run`,
    );
  }
  if (error instanceof RdcError) return error;
  if (error.level === 'client-authentication') {
    return new RdcError('RDC_SSH_AUTH', `${where} refused the key (${target.keySource})`, { cause: error });
  }
  if (/Cannot parse privateKey|Unsupported key format|Encrypted private OpenSSH key/i.test(error.message)) {
    return new RdcError('RDC_KEY_FILE', `the SSH key of ${target.label} (${target.keySource}): ${error.message}`, {
      cause: error,
    });
  }
  return new RdcError('RDC_SSH_CONNECT', `SSH to ${where} failed: ${error.message}`, { cause: error, retryable: true });
}
