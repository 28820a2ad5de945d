// Redis topologies for tests: a 3-master Redis Cluster, and a Sentinel set (1 master, 1 replica, 1 sentinel), all
// real redis-server processes on loopback, owned by the harness. As in localstack's redis-server, every setting
// that is a secret (requirepass, masterauth, the sentinel's auth-pass) sits in a config file of mode 0600, never in
// argv; redis-cli gets the password through REDISCLI_AUTH, not -a.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import type { Harness } from './harness.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);
const HOST = '127.0.0.1';

export interface RedisNode {
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  /** SIGKILL, and resolves once the process is gone. */
  kill9(): Promise<void>;
  log(): string;
}

export interface RedisCluster {
  readonly nodes: readonly RedisNode[];
  /** The password of the nodes' default user: a secret. */
  readonly password: string;
  /** Env for the CLI and bridges: REDIS_CLUSTER_NODES (+ REDIS_PASSWORD). */
  readonly env: Record<string, string>;
  /** A direct connection to one node (for CLUSTER commands); closed by the harness. */
  admin(port?: number): Promise<Redis>;
}

export interface RedisSentinelSet {
  readonly master: RedisNode;
  readonly replica: RedisNode;
  readonly sentinel: RedisNode;
  readonly name: string;
  readonly password: string;
  readonly env: Record<string, string>;
  admin(port: number): Promise<Redis>;
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

async function startNode(
  h: Harness,
  label: string,
  port: number,
  lines: readonly string[],
  options: { sentinel?: boolean; password?: string } = {},
): Promise<RedisNode> {
  const dir = await h.tempDir(label);
  const configPath = join(dir, 'redis.conf');
  const common = [`port ${port}`, `bind ${HOST}`, `dir ${quote(dir)}`, 'daemonize no'];
  await writeFile(configPath, `${[...common, ...lines].join('\n')}\n`, { mode: 0o600 });
  await chmod(configPath, 0o600);
  const logPath = join(dir, 'redis.log');
  const fd = openSync(logPath, 'a');
  const args = options.sentinel ? [configPath, '--sentinel'] : [configPath];
  const child: ChildProcess = spawn('redis-server', args, { cwd: dir, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  h.own(async () => {
    if (!gone()) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const log = () => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  const probe = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...(options.password !== undefined && { password: options.password }),
  });
  probe.on('error', () => {});
  await waitFor(
    `${label} on port ${port} to answer PING`,
    async () => {
      if (gone()) throw new Error(`${label} exited:\n${log()}`);
      try {
        if (probe.status !== 'ready') await probe.connect();
        return (await probe.ping()) === 'PONG' ? true : undefined;
      } catch {
        probe.disconnect();
        return undefined;
      }
    },
    10_000,
    50,
  );
  probe.disconnect();
  return {
    port,
    dir,
    pid: child.pid!,
    async kill9() {
      if (!gone()) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    log,
  };
}

function adminFactory(h: Harness, password: string) {
  return async (port: number): Promise<Redis> => {
    const redis = new Redis({ host: HOST, port, password, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    h.own(async () => redis.disconnect());
    return redis;
  };
}

/** Three masters with cluster-enabled, joined with `redis-cli --cluster create` (no replicas). */
export async function startRedisCluster(h: Harness): Promise<RedisCluster> {
  const password = randomBytes(18).toString('base64url');
  const nodes: RedisNode[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    // The bus port defaults to port + 10000, which may be past 65535 for an ephemeral port: pick it too.
    const busPort = await freePort();
    nodes.push(
      await startNode(
        h,
        `cluster-${i}`,
        port,
        [
          'cluster-enabled yes',
          `cluster-port ${busPort}`,
          'cluster-config-file nodes.conf',
          'cluster-node-timeout 2000',
          'save ""',
          'appendonly no',
          'maxmemory-policy noeviction',
          `requirepass ${quote(password)}`,
          `masterauth ${quote(password)}`,
        ],
        { password },
      ),
    );
  }
  await run(
    'redis-cli',
    ['--cluster', 'create', ...nodes.map((n) => `${HOST}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
    { env: { ...process.env, REDISCLI_AUTH: password }, timeout: 20_000 },
  );
  const admin = adminFactory(h, password);
  const first = await admin(nodes[0]!.port);
  await waitFor('the cluster to be ok', async () => {
    const info = String(await first.call('CLUSTER', 'INFO'));
    return /cluster_state:ok/.test(info) && /cluster_slots_assigned:16384/.test(info) ? true : undefined;
  });
  return {
    nodes,
    password,
    env: { REDIS_CLUSTER_NODES: nodes.map((n) => `${HOST}:${n.port}`).join(','), REDIS_PASSWORD: password },
    admin: (port = nodes[0]!.port) => admin(port),
  };
}

/** A master, its replica and one sentinel (quorum 1) that fails over after 1 s without an answer. */
export async function startRedisSentinelSet(h: Harness, name = 'rdc-main'): Promise<RedisSentinelSet> {
  const password = randomBytes(18).toString('base64url');
  const data = [
    'save ""',
    'appendonly no',
    'maxmemory-policy noeviction',
    `requirepass ${quote(password)}`,
    `masterauth ${quote(password)}`,
  ];
  const master = await startNode(h, 'sentinel-master', await freePort(), data, { password });
  const replica = await startNode(
    h,
    'sentinel-replica',
    await freePort(),
    [...data, `replicaof ${HOST} ${master.port}`],
    { password },
  );
  const admin = adminFactory(h, password);
  const primary = await admin(master.port);
  await waitFor('the replica to be in sync', async () =>
    /slave0:.*state=online/.test(String(await primary.info('replication'))) ? true : undefined,
  );
  const sentinel = await startNode(
    h,
    'sentinel',
    await freePort(),
    [
      `sentinel monitor ${name} ${HOST} ${master.port} 1`,
      `sentinel auth-pass ${name} ${quote(password)}`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
      `requirepass ${quote(password)}`,
    ],
    { sentinel: true, password },
  );
  return {
    master,
    replica,
    sentinel,
    name,
    password,
    env: {
      REDIS_SENTINELS: `${HOST}:${sentinel.port}`,
      REDIS_SENTINEL_NAME: name,
      REDIS_SENTINEL_PASSWORD: password,
      REDIS_PASSWORD: password,
    },
    admin,
  };
}
