// An OpenSSH sshd on a loopback address with its own config, host key and authorized_keys in DIR, so it
// needs nothing from /etc/ssh and runs next to (or without) the system's sshd. Run as root it lets root in
// by key; run as another user, only that user can log in.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { RdcError } from '@rediacc/core';
import { findProgram, SSHD } from './binaries.js';
import { assertDirFree } from './data-dir-lock.js';
import { startOnFreePort } from './free-port.js';
import { hostKeyFingerprint, loadOrGenerateKeyPair } from './keys.js';
import { ManagedChild, type ManagedProcess, readPidFile } from './managed-process.js';
import { readFirstLine } from './tcp-probe.js';
import { withWorkDir } from './work-dir.js';

export interface SshdOptions {
  /** Config, host key, authorized_keys, log; default: a fresh temporary directory. */
  dir?: string;
  /** Any 127.x.y.z (all of 127/8 is loopback on Linux); default 127.0.0.1. */
  host?: string;
  /** Default: a free ephemeral port. */
  port?: number;
  /** Public key lines allowed to log in. */
  authorizedKeys: string[];
  /** Default true: `SetEnv SHLVL=1`. */
  setEnvShlvl?: boolean;
  /** Default '100:30:200', so bursts of test connections are not dropped before authentication. */
  maxStartups?: string;
  /** Default true: `Subsystem sftp internal-sftp`. False: no SFTP subsystem, as on hardened hosts and appliances. */
  sftp?: boolean;
  /**
   * A command that execs sshd in its place, so the pid stays sshd's: `['ip', 'netns', 'exec', NS]` runs it in
   * the network namespace NS (root only; `host` is then an address of that namespace). Default: none.
   */
  execVia?: readonly string[];
}

export interface Sshd extends ManagedProcess {
  readonly host: string;
  readonly port: number;
  /** The user keys authorize: whoever runs this process. */
  readonly user: string;
  readonly dir: string;
  /** 'SHA256:…' as OpenSSH prints it. */
  readonly hostKeyFingerprint: string;
  readonly hostPublicKeyPath: string;
}

const START_TIMEOUT_MS = 10_000;
const PROBE_TIMEOUT_MS = 1_000;
// A probe that hangs up without identifying itself makes sshd log "kex_exchange_identification" at ERROR
// level on every start; one that says hello first is closed quietly (logged at INFO, below LogLevel ERROR).
const PROBE_IDENT = 'SSH-2.0-rediacc-localstack-probe\r\n';
/** Privilege-separation directory root's sshd insists on (normally made by the systemd unit). */
const PRIVSEP_DIR = '/run/sshd';

export async function startSshd(options: SshdOptions): Promise<Sshd> {
  // sshd re-executes itself for every connection, which it refuses to do unless started by absolute path.
  const command = await findProgram(SSHD);
  const host = options.host ?? '127.0.0.1';
  const authorizedKeys = authorizedKeysFile(options.authorizedKeys);
  if (process.getuid?.() === 0) await mkdir(PRIVSEP_DIR, { recursive: true, mode: 0o755 });

  return withWorkDir(options.dir, 'rediacc-sshd-', async (dir) => {
    const pidPath = join(dir, 'sshd.pid');
    // A second sshd would rewrite the first one's config and authorized_keys under it, and its pid file.
    await assertDirFree(dir, pidPath, 'sshd');
    const hostKey = await loadOrGenerateKeyPair(dir, 'ssh_host_ed25519_key');
    const authorizedKeysPath = join(dir, 'authorized_keys');
    await writeFile(authorizedKeysPath, authorizedKeys, { mode: 0o600 });
    await chmod(authorizedKeysPath, 0o600);
    const configPath = join(dir, 'sshd_config');

    const { port, server } = await startOnFreePort(host, options.port, async (port) => {
      const config = sshdConfig({
        host,
        port,
        hostKeyPath: hostKey.privateKeyPath,
        pidPath,
        authorizedKeysPath,
        maxStartups: options.maxStartups ?? '100:30:200',
        setEnvShlvl: options.setEnvShlvl ?? true,
        sftp: options.sftp ?? true,
      });
      await writeFile(configPath, config, { mode: 0o600 });
      // -D: stay in the foreground so we own the process; -e: log to stderr, which goes to DIR/sshd.log.
      const args = ['-D', '-e', '-f', configPath];
      const [via, ...viaArgs] = options.execVia ?? [];
      return new ManagedChild({
        name: 'sshd',
        command: via ?? command,
        args: via === undefined ? args : [...viaArgs, command, ...args],
        cwd: dir,
        logPath: join(dir, 'sshd.log'),
        startTimeoutMs: START_TIMEOUT_MS,
        // sshd writes its pid file only after binding: banner plus our pid means the banner is ours.
        isReady: async (pid) => (await answersWithBanner(host, port)) && (await readPidFile(pidPath)) === pid,
      });
    });

    return {
      host,
      port,
      user: userInfo().username,
      dir,
      hostKeyFingerprint: hostKeyFingerprint(hostKey.publicKey),
      hostPublicKeyPath: hostKey.publicKeyPath,
      get pid() {
        return server.pid;
      },
      stop: () => server.stop(),
      kill: (signal) => server.kill(signal),
      restart: () => server.restart(),
    };
  });
}

async function answersWithBanner(host: string, port: number): Promise<boolean> {
  const line = await readFirstLine(host, port, { send: PROBE_IDENT, timeoutMs: PROBE_TIMEOUT_MS });
  return line?.startsWith('SSH-2.0-') === true;
}

function authorizedKeysFile(lines: readonly string[]): string {
  for (const line of lines) {
    // A newline would smuggle a second, unchecked entry into authorized_keys.
    if (!line.trim() || /[\r\n]/.test(line)) {
      throw new RdcError('RDC_INVALID_INPUT', `authorized key must be one non-empty line, got ${JSON.stringify(line)}`);
    }
  }
  return lines.map((line) => `${line.trim()}\n`).join('');
}

interface ConfigValues {
  host: string;
  port: number;
  hostKeyPath: string;
  pidPath: string;
  authorizedKeysPath: string;
  maxStartups: string;
  setEnvShlvl: boolean;
  sftp: boolean;
}

function sshdConfig(values: ConfigValues): string {
  const lines = [
    `Port ${values.port}`,
    `ListenAddress ${values.host}`,
    `HostKey ${values.hostKeyPath}`,
    `PidFile ${values.pidPath}`,
    // Absolute, so it is this file for every user rather than ~/.ssh/authorized_keys.
    `AuthorizedKeysFile ${values.authorizedKeysPath}`,
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    // Temporary directories and CI checkouts rarely have the ownership StrictModes demands.
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    `MaxStartups ${values.maxStartups}`,
    'MaxSessions 10',
    ...(values.setEnvShlvl ? ['SetEnv SHLVL=1'] : []),
    'LogLevel ERROR',
    'PrintMotd no',
    ...(values.sftp ? ['Subsystem sftp internal-sftp'] : []),
  ];
  return `${lines.join('\n')}\n`;
}
