// Tests that a machine would let a bridge in, one step at a time — TCP connect, host key, authentication, a
// trivial command — and says which step failed and what to do about it. `machine add` runs it before anything
// is registered, and `machine check` runs it on a registered machine.
import type { Socket } from 'node:net';
import { type ErrorCode, isRdcError } from '@rediacc/core';
import { Client } from 'ssh2';
import type { SshTarget } from './connection.js';
import { fingerprintOf } from './host-key.js';
import { openSocket } from './socket.js';

export type LoginCheckStep = 'connect' | 'host-key' | 'auth' | 'command';

/** The machine as the check reaches it: an SSH target whose host key may not be known yet. */
export type LoginCheckTarget = Omit<SshTarget, 'hostKeyFingerprint'>;

export interface LoginCheckOptions {
  /** The pinned host key (SHA256:…); without it any host key is accepted and reported (accept-new). */
  expectedHostKey?: string | undefined;
  /** For each network step (TCP connect, then the SSH handshake and login, then the command). Default 10 s. */
  timeoutMs?: number;
}

export type LoginCheckResult =
  | { ok: true; hostKeyFingerprint: string; durationMs: number }
  | {
      ok: false;
      step: LoginCheckStep;
      code: ErrorCode;
      /** Names the machine, user@host:port, the step and what went wrong. */
      message: string;
      /** What to do about this step's failure. */
      fix: string;
      /** The host key the machine presented, when it got that far. */
      hostKeyFingerprint?: string;
    };

/** Any output line would do; a marker proves the command really ran under a shell. */
const PROBE_COMMAND = 'echo rediacc-login-ok';
const PROBE_OUTPUT = 'rediacc-login-ok';

type Failure = Extract<LoginCheckResult, { ok: false }>;

export async function checkMachineLogin(
  target: LoginCheckTarget,
  options: LoginCheckOptions = {},
): Promise<LoginCheckResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const where = `${target.label} (${target.user}@${target.host}:${target.port})`;
  const fail = (step: LoginCheckStep, code: ErrorCode, what: string, fix: string, seen?: string): Failure => ({
    ok: false,
    step,
    code,
    message: `login check of ${where} failed at step "${step}": ${what}`,
    fix,
    ...(seen !== undefined && { hostKeyFingerprint: seen }),
  });

  let sock: Socket;
  try {
    sock = await openSocket(target.host, target.port, timeoutMs);
  } catch (error) {
    return fail(
      'connect',
      'RDC_SSH_CONNECT',
      isRdcError(error) ? error.message : String(error),
      `check the host and port, that sshd runs there and that no firewall blocks ${target.host}:${target.port} from here`,
    );
  }
  const client = new Client();
  // ssh2 may emit more than one error (see ssh-connection.ts); without a listener a second one would crash us.
  client.on('error', () => {});
  try {
    const login = await logIn(client, sock, target, options.expectedHostKey, timeoutMs);
    switch (login.outcome) {
      case 'no-ssh':
        return fail(
          'connect',
          'RDC_SSH_CONNECT',
          `${target.host}:${target.port} accepts TCP connections but did not complete an SSH handshake (${login.detail})`,
          'check that the port is the machine’s sshd and not another service',
        );
      case 'host-key':
        return fail(
          'host-key',
          'RDC_HOST_KEY_MISMATCH',
          `the machine presented host key ${login.seen}, not the expected ${options.expectedHostKey}; nothing was sent to it`,
          'if the machine was reinstalled on purpose, pin its new host key (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the machine prints it; `rediacc machine trust NAME` re-pins a registered machine); otherwise do not trust it: someone may be intercepting the connection',
          login.seen,
        );
      case 'bad-key':
        return fail(
          'auth',
          'RDC_KEY_FILE',
          `the SSH key (${target.keySource}) cannot be used: ${login.detail}`,
          'pass an unencrypted OpenSSH or PEM private key',
        );
      case 'refused':
        return fail(
          'auth',
          'RDC_SSH_AUTH',
          `${target.user} refused the key (${target.keySource})`,
          `append the key's public half (\`ssh-keygen -y -f KEYFILE\`) to ~${target.user}/.ssh/authorized_keys on the machine, or use the key that is there`,
          login.seen,
        );
      case 'ready':
        break;
      default:
        return login satisfies never;
    }
    const ran = await runProbe(client, timeoutMs);
    if (ran !== undefined) {
      return fail(
        'command',
        'RDC_SSH_COMMAND',
        `logged in, but \`${PROBE_COMMAND}\` ${ran}`,
        `check ${target.user}'s login shell on the machine (a POSIX sh, not nologin or false) and that neither sshd's ForceCommand nor a command="…" option in authorized_keys replaces commands`,
        login.seen,
      );
    }
    return { ok: true, hostKeyFingerprint: login.seen, durationMs: Date.now() - started };
  } finally {
    client.end();
    sock.destroy();
  }
}

type Login =
  | { outcome: 'ready'; seen: string }
  | { outcome: 'host-key'; seen: string }
  | { outcome: 'refused'; seen: string }
  | { outcome: 'bad-key'; detail: string }
  | { outcome: 'no-ssh'; detail: string };

/** The SSH handshake (host key) and authentication, told apart by what ssh2 reached before it stopped. */
function logIn(
  client: Client,
  sock: Socket,
  target: LoginCheckTarget,
  expectedHostKey: string | undefined,
  timeoutMs: number,
): Promise<Login> {
  return new Promise<Login>((resolve) => {
    let seen: string | undefined;
    let settled = false;
    const settle = (login: Login) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(login);
    };
    // ssh2 starts its readyTimeout only for sockets it opens itself.
    const timer = setTimeout(() => {
      const phase = seen === undefined ? 'no host key' : 'no answer to the login';
      settle({ outcome: 'no-ssh', detail: `${phase} within ${timeoutMs / 1000}s` });
    }, timeoutMs);
    client.once('ready', () => settle({ outcome: 'ready', seen: seen ?? '' }));
    client.on('error', (error: Error & { level?: string }) => {
      if (seen === undefined) settle({ outcome: 'no-ssh', detail: error.message });
      else if (expectedHostKey !== undefined && seen !== expectedHostKey) settle({ outcome: 'host-key', seen });
      else if (error.level === 'client-authentication') settle({ outcome: 'refused', seen });
      else settle({ outcome: 'no-ssh', detail: error.message });
    });
    client.once('close', () => settle({ outcome: 'no-ssh', detail: 'the connection closed' }));
    try {
      client.connect({
        sock,
        username: target.user,
        privateKey: target.privateKey,
        readyTimeout: timeoutMs,
        hostVerifier: (key: Buffer) => {
          seen = fingerprintOf(key);
          return expectedHostKey === undefined || seen === expectedHostKey;
        },
      });
    } catch (error) {
      // ssh2 parses the key before it sends anything and throws synchronously when it cannot.
      settle({ outcome: 'bad-key', detail: error instanceof Error ? error.message : String(error) });
    }
  });
}

/** Runs the probe command; undefined when it printed the marker and exited 0, else what went wrong. */
function runProbe(client: Client, timeoutMs: number): Promise<string | undefined> {
  return new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(`did not finish within ${timeoutMs / 1000}s`), timeoutMs);
    const done = (problem: string | undefined) => {
      clearTimeout(timer);
      resolve(problem);
    };
    try {
      client.exec(PROBE_COMMAND, (error, channel) => {
        if (error) return done(`could not start: ${error.message}`);
        let stdout = '';
        let exit: { code: number | null; signal?: string } = { code: null };
        channel.on('data', (chunk: Buffer) => {
          if (stdout.length < 1024) stdout += chunk.toString('utf8');
        });
        channel.stderr.resume();
        channel.on('exit', (code: number | null, signal?: string) => {
          exit = { code, ...(signal !== undefined && { signal }) };
        });
        channel.on('close', () => {
          if (exit.signal !== undefined) done(`was killed by ${exit.signal}`);
          else if (exit.code !== 0) done(`exited with status ${exit.code ?? 'unknown'}`);
          else if (stdout.trim() !== PROBE_OUTPUT) done(`printed ${JSON.stringify(stdout.slice(0, 80))}`);
          else done(undefined);
        });
      });
    } catch (error) {
      done(`could not start: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}
