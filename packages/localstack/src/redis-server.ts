// A redis-server on a loopback port for `rediacc up` and tests: no RDB snapshots, optional AOF, and
// `noeviction` (BullMQ loses jobs under any other policy). Its output goes to DIR/redis.log. It is private to the
// user who starts it: the default user gets a random password, written to DIR/redis.conf (mode 0600) rather than
// argv, which `ps` shows to every local user.
import { randomBytes } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findProgram, REDIS_SERVER } from './binaries.js';
import { assertDirFree } from './data-dir-lock.js';
import { startOnFreePort } from './free-port.js';
import { ManagedChild, type ManagedProcess, readPidFile } from './managed-process.js';
import { readLines } from './tcp-probe.js';
import { withWorkDir } from './work-dir.js';

export interface RedisServerOptions {
  /** Data directory (AOF files, log, pid file); default: a fresh temporary directory. */
  dir?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: a free ephemeral port. */
  port?: number;
  /** Default false: data lives in memory only. */
  appendOnly?: boolean;
  /** Only with appendOnly; redis' default is 'everysec'. */
  appendFsync?: 'always' | 'everysec';
  /** Password of the `default` user; default: a fresh random one. `false`: none, any local user may connect. */
  password?: string | false;
}

export interface RedisServer extends ManagedProcess {
  /** redis://:PASSWORD@host:port (redis://host:port without a password): a secret, never log it. */
  readonly url: string;
  readonly password: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly dir: string;
}

const START_TIMEOUT_MS = 10_000;
const PROBE_TIMEOUT_MS = 1_000;

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const command = await findProgram(REDIS_SERVER);
  const host = options.host ?? '127.0.0.1';
  const password = options.password === false ? undefined : (options.password ?? randomBytes(24).toString('base64url'));
  return withWorkDir(options.dir, 'rediacc-redis-', async (dir) => {
    const pidPath = join(dir, 'redis.pid');
    // Two servers on one data directory corrupt each other's AOF and pid file.
    await assertDirFree(dir, pidPath, 'redis-server');
    const configPath = join(dir, 'redis.conf');
    await writeFile(configPath, configText(password), { mode: 0o600 });
    await chmod(configPath, 0o600);
    // PING answers -LOADING instead of +PONG while the AOF replays; AUTH first when there is a password.
    const probe = password === undefined ? [['PING']] : [['AUTH', password], ['PING']];
    const { port, server } = await startOnFreePort(host, options.port, async (port) => {
      return new ManagedChild({
        name: 'redis-server',
        command,
        args: [configPath, ...redisArgs({ ...options, host, port, dir, pidPath })],
        cwd: dir,
        logPath: join(dir, 'redis.log'),
        startTimeoutMs: START_TIMEOUT_MS,
        // redis writes its pid file after binding, and answers -LOADING instead of +PONG while it replays the
        // AOF: both together mean "our redis, with its data loaded".
        isReady: async (pid) =>
          (await readLines(host, port, { send: resp(probe), count: probe.length, timeoutMs: PROBE_TIMEOUT_MS }))?.at(
            -1,
          ) === '+PONG' && (await readPidFile(pidPath)) === pid,
      });
    });
    return {
      url: `redis://${password === undefined ? '' : `:${encodeURIComponent(password)}@`}${host}:${port}`,
      password,
      host,
      port,
      dir,
      get pid() {
        return server.pid;
      },
      stop: () => server.stop(),
      kill: (signal) => server.kill(signal),
      restart: () => server.restart(),
    };
  });
}

function redisArgs(
  options: RedisServerOptions & { host: string; port: number; dir: string; pidPath: string },
): string[] {
  const args = ['--port', String(options.port), '--bind', options.host, '--dir', options.dir];
  args.push('--save', '', '--appendonly', options.appendOnly ? 'yes' : 'no');
  if (options.appendOnly && options.appendFsync) args.push('--appendfsync', options.appendFsync);
  args.push('--maxmemory-policy', 'noeviction', '--daemonize', 'no');
  // An empty logfile means stdout, which the managed process appends to DIR/redis.log.
  args.push('--pidfile', options.pidPath, '--logfile', '');
  return args;
}

/** The config file argv points at: only what must stay out of `ps`. */
function configText(password: string | undefined): string {
  const header = '# Written by @rediacc/localstack at each start; argv holds the other settings.\n';
  if (password === undefined) return header;
  return `${header}requirepass "${password.replace(/[\\"]/g, (c) => `\\${c}`)}"\n`;
}

/** Commands in RESP, so a password travels as one argument whatever characters it holds. */
function resp(commands: readonly (readonly string[])[]): string {
  return commands
    .map((args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`)
    .join('');
}
