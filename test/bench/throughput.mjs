#!/usr/bin/env node
// End-to-end throughput: N tasks of `true` on one machine through rediacc (createMany → bridge with
// batch size 10 → COMPLETED) vs a raw ssh2 loop on pooled connections with the same concurrency (TCP_NODELAY on),
// against the same sshd in the same run. Usage: node test/bench/throughput.mjs [N]
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { generateKeyPair, startRedisServer, startSshd } from '@rediacc/localstack';
import { createClient } from '@rediacc/producer';
import { Client } from 'ssh2';

const N = Number(process.argv[2] ?? 1000);
const CONCURRENCY = 10;
const dir = await mkdtemp(join(tmpdir(), 'rdc-bench-'));
const redis = await startRedisServer();
const key = await generateKeyPair(join(dir, 'keys'), 'client');
const sshd = await startSshd({ authorizedKeys: [key.publicKey] });
const machine = {
  ...sshd,
  host: sshd.host,
  port: sshd.port,
  user: sshd.user,
  hostKeyFingerprint: sshd.hostKeyFingerprint,
  privateKeyPath: key.privateKeyPath,
};
try {
  const raw = await rawSsh2(machine, N);
  const ours = await rediacc(redis.url, machine, N);
  const raw2 = await rawSsh2(machine, N);
  const rawBest = Math.max(raw, raw2);
  console.log(`raw ssh2 pooled (${CONCURRENCY} in flight): ${raw.toFixed(0)} / ${raw2.toFixed(0)} tasks/s`);
  console.log(`rediacc create→COMPLETED, batch 10:      ${ours.toFixed(0)} tasks/s`);
  console.log(`ratio ours/raw: ${(ours / rawBest).toFixed(2)}`);
} finally {
  await sshd.stop();
  await redis.stop();
}

async function rediacc(url, machine, n) {
  const client = createClient({ redis: url });
  const { secretKey } = await client.teams.create('bench');
  await client.machines.add({
    name: 'm1',
    team: 'bench',
    host: machine.host,
    port: machine.port,
    user: machine.user,
    keyFile: machine.privateKeyPath,
    hostKeyFingerprint: machine.hostKeyFingerprint,
  });
  const bridge = await startBridge(
    { redisUrl: url, teams: ['bench'], teamKeys: { bench: secretKey }, batchSize: CONCURRENCY },
    { logger: createLogger({ name: 'bench', level: 'silent' }) },
  );
  // warm-up
  const warm = await client.tasks.createMany(
    Array.from({ length: 50 }, () => ({ team: 'bench', machine: 'm1', command: 'true' })),
  );
  await Promise.all(warm.map((t) => client.tasks.wait(t.taskId)));
  const start = performance.now();
  const created = await client.tasks.createMany(
    Array.from({ length: n }, () => ({ team: 'bench', machine: 'm1', command: 'true' })),
  );
  for (;;) {
    const counts = await client.tasks.counts('bench');
    if (counts.completed + counts.failed >= n + 50) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - start) / 1000;
  const counts = await client.tasks.counts('bench');
  if (counts.failed > 0) console.log(`warning: ${counts.failed} failed`);
  void created;
  await bridge.close();
  await client.close();
  return n / seconds;
}

async function rawSsh2(machine, n) {
  const key = readFileSync(machine.privateKeyPath);
  const conns = await Promise.all(
    [0, 1].map(
      () =>
        new Promise((resolve, reject) => {
          const sock = connect({ host: machine.host, port: machine.port, noDelay: true });
          const c = new Client();
          c.once('ready', () => resolve(c)).once('error', reject);
          sock.once('connect', () => c.connect({ sock, username: machine.user, privateKey: key }));
        }),
    ),
  );
  const exec = (c) =>
    new Promise((resolve, reject) =>
      c.exec('true', (err, stream) => {
        if (err) return reject(err);
        stream.on('data', () => {}).on('close', resolve);
        stream.stderr.resume();
      }),
    );
  let next = 0;
  const worker = async (i) => {
    while (next < n) {
      next++;
      await exec(conns[i % conns.length]);
    }
  };
  for (let i = 0; i < 50; i++) await exec(conns[0]);
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => worker(i)));
  const seconds = (performance.now() - start) / 1000;
  for (const c of conns) c.end();
  return n / seconds;
}
