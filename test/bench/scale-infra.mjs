// What the scale rows need beyond the bench's fleet: a 3-master Redis Cluster (the commands of
// test/harness/redis-cluster.ts: redis-server --cluster-enabled yes on loopback ports, joined with
// `redis-cli --cluster create`; the password in a 0600 config file and REDISCLI_AUTH, never argv), and many sshd
// machines on distinct 127.0.43.x addresses. Everything is released by the fleet's owner.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSshd } from '@rediacc/localstack';
import { Redis } from 'ioredis';
import { until } from './stats.mjs';

const run = promisify(execFile);
const HOST = '127.0.0.1';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startNode(fleet, dir, port, lines, password) {
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'redis.conf');
  const common = [`port ${port}`, `bind ${HOST}`, `dir "${dir}"`, 'daemonize no'];
  await writeFile(config, `${[...common, ...lines].join('\n')}\n`, { mode: 0o600 });
  const fd = openSync(join(dir, 'redis.log'), 'a');
  const child = spawn('redis-server', [config], { cwd: dir, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  fleet.owner.own(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const probe = new Redis({ host: HOST, port, password, lazyConnect: true, maxRetriesPerRequest: 0 });
  probe.on('error', () => {});
  await until(
    `cluster node on ${port} to answer PING`,
    async () => {
      if (child.exitCode !== null)
        throw new Error(`redis-server on ${port} exited: ${readFileSync(join(dir, 'redis.log'), 'utf8')}`);
      try {
        if (probe.status !== 'ready') await probe.connect();
        return (await probe.ping()) === 'PONG' ? true : undefined;
      } catch {
        return undefined;
      }
    },
    10_000,
    50,
  );
  probe.disconnect();
  return { port, pid: child.pid };
}

/** Three masters, no replicas; resolves with { url: 'redis+cluster://:PW@…' (a secret), nodes, pids }. */
export async function startCluster(fleet) {
  const password = randomBytes(18).toString('base64url');
  const nodes = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    // The bus port defaults to port + 10000, which may be past 65535 for an ephemeral port: pick it too.
    const busPort = await freePort();
    nodes.push(
      await startNode(
        fleet,
        join(fleet.dir, `cluster-${i}`),
        port,
        [
          'cluster-enabled yes',
          `cluster-port ${busPort}`,
          'cluster-config-file nodes.conf',
          'cluster-node-timeout 2000',
          'save ""',
          'appendonly no',
          'maxmemory-policy noeviction',
          `requirepass "${password}"`,
          `masterauth "${password}"`,
        ],
        password,
      ),
    );
  }
  const seeds = nodes.map((n) => `${HOST}:${n.port}`);
  await run('redis-cli', ['--cluster', 'create', ...seeds, '--cluster-replicas', '0', '--cluster-yes'], {
    env: { ...process.env, REDISCLI_AUTH: password },
    timeout: 20_000,
  });
  const admin = new Redis({ host: HOST, port: nodes[0].port, password, maxRetriesPerRequest: 1 });
  admin.on('error', () => {});
  try {
    await until(
      'the cluster to be ok',
      async () => {
        const info = String(await admin.call('CLUSTER', 'INFO'));
        return /cluster_state:ok/.test(info) && /cluster_slots_assigned:16384/.test(info) ? true : undefined;
      },
      20_000,
      50,
    );
  } finally {
    admin.disconnect();
  }
  return { url: `redis+cluster://:${password}@${seeds.join(',')}`, nodes, password };
}

/** `count` sshd machines on 127.0.43.1…, authorizing the fleet's client key; started `parallel` at a time. */
export async function startManySshd(fleet, count, { parallel = 10 } = {}) {
  const list = [];
  for (let i = 0; i < count; i += parallel) {
    const chunk = Array.from({ length: Math.min(parallel, count - i) }, (_, j) => i + j);
    list.push(
      ...(await Promise.all(
        chunk.map(async (k) => {
          const sshd = await startSshd({
            dir: join(fleet.dir, `many-sshd-${k + 1}`),
            host: `127.0.43.${k + 1}`,
            authorizedKeys: [fleet.key.publicKey],
            setEnvShlvl: true,
          });
          fleet.owner.own(() => sshd.stop());
          return {
            name: `h${String(k + 1).padStart(3, '0')}`,
            host: sshd.host,
            port: sshd.port,
            user: sshd.user,
            privateKeyPath: fleet.key.privateKeyPath,
            hostKeyFingerprint: sshd.hostKeyFingerprint,
            pid: sshd.pid,
          };
        }),
      )),
    );
  }
  return list;
}
