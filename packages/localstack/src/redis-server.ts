// A redis-server on a loopback port for `rediacc up` and tests: no RDB snapshots, optional AOF, and
// `noeviction` (BullMQ loses jobs under any other policy). Its output goes to DIR/redis.log.
import { join } from 'node:path';
import { findProgram, REDIS_SERVER } from './binaries.js';
import { startOnFreePort } from './free-port.js';
import { ManagedChild, type ManagedProcess, readPidFile } from './managed-process.js';
import { readFirstLine } from './tcp-probe.js';
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
}

export interface RedisServer extends ManagedProcess {
  /** redis://host:port */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dir: string;
}

const START_TIMEOUT_MS = 10_000;
const PROBE_TIMEOUT_MS = 1_000;

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const command = await findProgram(REDIS_SERVER);
  const host = options.host ?? '127.0.0.1';
  return withWorkDir(options.dir, 'rediacc-redis-', async (dir) => {
    const pidPath = join(dir, 'redis.pid');
    const { port, server } = await startOnFreePort(host, options.port, async (port) => {
      return new ManagedChild({
        name: 'redis-server',
        command,
        args: redisArgs({ ...options, host, port, dir, pidPath }),
        cwd: dir,
        logPath: join(dir, 'redis.log'),
        startTimeoutMs: START_TIMEOUT_MS,
        // redis writes its pid file after binding, and answers -LOADING instead of +PONG while it replays the
        // AOF: both together mean "our redis, with its data loaded".
        isReady: async (pid) =>
          (await readFirstLine(host, port, { send: 'PING\r\n', timeoutMs: PROBE_TIMEOUT_MS })) === '+PONG' &&
          (await readPidFile(pidPath)) === pid,
      });
    });
    return {
      url: `redis://${host}:${port}`,
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
  args.push('--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--protected-mode', 'no');
  // An empty logfile means stdout, which the managed process appends to DIR/redis.log.
  args.push('--pidfile', options.pidPath, '--logfile', '');
  return args;
}
