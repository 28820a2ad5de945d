// 7. Footprint: Redis memory per pending task vs raw BullMQ jobs with the same command; the bridge's RSS with 100
// concurrent `sleep` tasks over ten machines; CPU time per task on the bridge. The bridge and the raw ssh2
// baseline each run in a process of their own, read through /proc.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRedisServer } from '@rediacc/localstack';
import { createClient } from '@rediacc/producer';
import { AUDIT_KEPT } from '@rediacc/queue';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { addTeam, bridgeProcess, cpuMs, readClockFile, rssMiB, usedMemory } from '../fleet.mjs';
import { row } from '../report.mjs';
import { sleep, until } from '../stats.mjs';
import { teamQueues, throughputOnce } from './one-machine.mjs';

export const id = 'footprint';
export const title = '7. Footprint';
export const describe =
  'Redis: `INFO memory` used_memory delta / tasks for N pending P5 tasks with a 100-byte command and no vault data (a redis-server of its own), counting everything a create writes (job hash, lane structures, audit entry), vs raw BullMQ jobs `{command}` with a UUID job id and the same priority; the row’s note splits both by part (`MEMORY USAGE` of the keys written). Ours and raw alternate rep by rep, each from an empty queue and audit log. Bridge RSS: a bridge process (`--batch-size 100`) running 100 `sleep` tasks over the ten machines, read once all 100 have started, vs a raw ssh2 process holding the same 100 commands (two connections per machine). CPU per task: process CPU time (user+system, /proc, 10 ms ticks) / tasks for tasks of `true` (bridge `--batch-size 10`) vs the raw ssh2 process running the same commands 10 in flight.';

const COMMAND = `echo ${'x'.repeat(95)}`; // 100 bytes

export async function run({ fleet, sizes, reps, log }) {
  const rows = [];
  rows.push(await redisMemory(fleet, sizes, reps, log));
  rows.push(...(await bridgeProcessFootprint(fleet, sizes, log)));
  return rows;
}

/**
 * The parts a batch of creates writes, by key: [name, pattern]. Ours: the job hashes, the lane structures BullMQ
 * keeps per queue (prioritized zset, events stream, id counter, meta, marker), and the audit log (streams and
 * writer set). Raw: its job hashes and queue structures. A key no part claims counts as "other".
 */
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const PARTS = {
  ours: (team) => [
    ['job hashes', new RegExp(`^rdc:\\{${team}\\}:(tasks|critical):${UUID}$`)],
    ['lane structures', new RegExp(`^rdc:\\{${team}\\}:(tasks|critical):`)],
    ['audit entries', new RegExp(`^rdc:\\{${team}\\}:audit`)],
  ],
  raw: (team) => [
    ['job hashes', new RegExp(`^raw:\\{${team}\\}:raw:${UUID}$`)],
    ['queue structures', new RegExp(`^raw:\\{${team}\\}:raw:`)],
  ],
};

async function redisMemory(fleet, sizes, reps, log) {
  const n = sizes.footprintTasks;
  const server = await startRedisServer({ dir: join(fleet.dir, 'redis-footprint') });
  const client = createClient({ redis: server.url });
  const connection = new Redis(server.url, { maxRetriesPerRequest: null });
  const team = 'fp';
  const raw = new Queue('raw', { connection, prefix: `raw:{${team}}` });
  const ours = teamQueues(connection, team);
  try {
    await addTeam(fleet, team, [fleet.machines[0]], client);
    const methods = {
      ours: async () => {
        for (let i = 0; i < n; i += 1000) {
          const k = Math.min(1000, n - i);
          await client.tasks.createMany(
            Array.from({ length: k }, () => ({ team, machine: 'm01', command: COMMAND, priority: 5 })),
          );
        }
      },
      raw: async () => {
        for (let i = 0; i < n; i += 1000) {
          const k = Math.min(1000, n - i);
          await raw.addBulk(
            Array.from({ length: k }, () => ({
              name: 'm01',
              data: { command: COMMAND },
              opts: { jobId: randomUUID(), priority: 5 },
            })),
          );
        }
      },
    };
    const out = { ours: [], raw: [] };
    const parts = { ours: [], raw: [] };
    const anatomy = {};
    for (let r = 0; r < reps; r++) {
      for (const k of r % 2 === 0 ? ['ours', 'raw'] : ['raw', 'ours']) {
        // Everything the creates wrote counts, the audit entries too: used_memory before and after.
        const before = await usedMemory(connection);
        const partsBefore = await census(connection, PARTS[k](team));
        await methods[k]();
        out[k].push((await usedMemory(connection)) - before);
        const partsAfter = await census(connection, PARTS[k](team));
        parts[k].push(Object.fromEntries(Object.entries(partsAfter).map(([p, b]) => [p, b - partsBefore[p]])));
        if (r === 0) anatomy[k] = await jobAnatomy(connection, k === 'raw' ? raw : ours[0]);
        // Each rep starts from an empty queue and an empty audit log (this redis-server is the scenario's own).
        // BullMQ's obliterate removes the keys BullMQ knows, not the lanes' machine indexes beside them.
        for (const q of [raw, ...ours]) await q.obliterate({ force: true });
        const left = [
          ...(await connection.keys(`rdc:{${team}}:audit*`)),
          ...(await Promise.all(ours.map((q) => connection.keys(q.toKey('by-machine:*'))))).flat(),
        ];
        if (left.length) await connection.del(...left);
      }
      log(
        `footprint rep ${r + 1}: ours ${(out.ours.at(-1) / n).toFixed(0)} B/task, raw ${(out.raw.at(-1) / n).toFixed(0)} B/task`,
      );
    }
    const byPart = (k) => {
      const named = Object.keys(parts[k][0]).map((p) => [p, median(parts[k].map((x) => x[p])) / n]);
      const rest = median(out[k]) / n - named.reduce((sum, [, b]) => sum + b, 0);
      return `${named.map(([p, b]) => `${p} ${b.toFixed(0)} B`).join(', ')}, keyspace and allocator overhead ${rest.toFixed(0)} B`;
    };
    return row(id, `Redis memory per pending task (${n} tasks, 100-byte command; everything a create writes)`, {
      unit: 'bytes',
      better: 'lower',
      ours: out.ours.map((b) => b / n),
      baseline: out.raw.map((b) => b / n),
      baselineName: 'raw BullMQ job, UUID id',
      target: { ratio: Number((1 / 1.3).toFixed(3)) },
      note: `per task by part (MEMORY USAGE of the keys written, median of the reps): ours ${byPart('ours')}; raw ${byPart('raw')}. One job hash: ours ${anatomy.ours.usage} B (data ${anatomy.ours.data} B, opts ${anatomy.ours.opts} B), raw ${anatomy.raw.usage} B (data ${anatomy.raw.data} B, opts ${anatomy.raw.opts} B). The audit entries stop growing at the log's cap (${AUDIT_KEPT.toLocaleString('en-US')} entries per writer)`,
    });
  } finally {
    await raw.close();
    for (const q of ours) await q.close();
    await connection.quit();
    await client.close();
    await server.stop();
  }
}

/** MEMORY USAGE (exact: SAMPLES 0) of every key on the server, summed by part; keys no part claims: "other". */
async function census(connection, parts) {
  const bytes = Object.fromEntries([...parts.map(([name]) => [name, 0]), ['other', 0]]);
  const keys = await connection.keys('*');
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const pipeline = connection.pipeline();
    for (const key of batch) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    const results = await pipeline.exec();
    batch.forEach((key, j) => {
      const part = parts.find(([, pattern]) => pattern.test(key))?.[0] ?? 'other';
      bytes[part] += Number(results[j][1] ?? 0);
    });
  }
  return bytes;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)];
}

/** Sizes of one pending job of `queue`: its hash (MEMORY USAGE) and the data and opts JSON it holds. */
async function jobAnatomy(connection, queue) {
  const [id] = await connection.zrange(queue.toKey('prioritized'), 0, 0);
  const key = queue.toKey(id);
  const [data, opts] = await connection.hmget(key, 'data', 'opts');
  return { usage: await connection.memory('USAGE', key), data: data?.length ?? 0, opts: opts?.length ?? 0 };
}

/** A raw ssh2 process (raw-ssh2-main.mjs): resolves once "ready"; go() and line() drive it. */
async function rawProcess(fleet, args) {
  const main = new URL('../raw-ssh2-main.mjs', import.meta.url).pathname;
  const machines = fleet.machines.map(({ host, port, user, privateKeyPath }) => ({ host, port, user, privateKeyPath }));
  const child = spawn(process.execPath, [main, JSON.stringify({ machines, ...args })], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  fleet.owner.own(async () => child.exitCode === null && child.kill('SIGKILL'));
  let out = '';
  const waiters = [];
  child.stdout.on('data', (c) => {
    out += c;
    for (const w of waiters.splice(0)) w();
  });
  const line = async (text) => {
    while (!out.includes(`${text}\n`)) {
      if (child.exitCode !== null) throw new Error(`raw ssh2 process exited ${child.exitCode} before "${text}"`);
      await new Promise((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  await line('ready');
  return { pid: child.pid, line, go: () => child.stdin.end('go\n'), kill: () => child.kill('SIGKILL') };
}

async function bridgeProcessFootprint(fleet, sizes, log) {
  const team = 'fpb';
  await addTeam(fleet, team);
  const names = fleet.machines.map((m) => m.name);
  const k = sizes.rssTasks;
  const hold = (file, i) => `${fleet.clock.command(file, `h${i}`)}; sleep 6`;
  const allStarted = (file) =>
    until(`${k} commands started`, () => (readClockFile(file).size >= k ? true : undefined), 60_000, 20);
  // RSS, raw first (it ends by itself), then the bridge.
  const rawFile = join(fleet.dir, 'rss-raw');
  const raw = await rawProcess(fleet, { mode: 'hold', n: k, command: hold(rawFile, 'x'), perMachine: 2 });
  // The same command per machine: the labels differ only for the bridge's file; count lines for the raw one.
  raw.go();
  await until('raw commands started', () => (lineCount(rawFile) >= k ? true : undefined), 60_000, 20);
  await sleep(300);
  const rawRss = rssMiB(raw.pid);
  await raw.line('done');
  const bridge = await bridgeProcess(fleet, { teams: [team], batchSize: 100, name: 'bench-rss' });
  const oursFile = join(fleet.dir, 'rss-ours');
  const warm = await fleet.client.tasks.createMany(names.map((machine) => ({ team, machine, command: 'true' })));
  await Promise.all(warm.map((t) => fleet.client.tasks.wait(t.taskId)));
  const tasks = await fleet.client.tasks.createMany(
    Array.from({ length: k }, (_, i) => ({ team, machine: names[i % names.length], command: hold(oursFile, i) })),
  );
  await allStarted(oursFile);
  await sleep(300);
  const oursRss = rssMiB(bridge.pid);
  await Promise.all(tasks.map((t) => fleet.client.tasks.wait(t.taskId, { timeoutMs: 60_000 })));
  await bridge.kill();
  log(`footprint RSS with ${k} running: bridge ${oursRss.toFixed(0)} MiB, raw ssh2 ${rawRss.toFixed(0)} MiB`);

  // CPU per task: a bridge with --batch-size 10 vs raw ssh2 at 10 in flight, the same `true` commands.
  const n = sizes.cpuTasks;
  const cpuBridge = await bridgeProcess(fleet, { teams: [team], batchSize: 10, name: 'bench-cpu' });
  const warm2 = await fleet.client.tasks.createMany(names.map((machine) => ({ team, machine, command: 'true' })));
  await Promise.all(warm2.map((t) => fleet.client.tasks.wait(t.taskId)));
  const before = cpuMs(cpuBridge.pid);
  const connection = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const queues = teamQueues(connection, team);
  await throughputOnce(
    fleet.client,
    queues,
    Array.from({ length: n }, (_, i) => ({ team, machine: names[i % names.length], command: 'true' })),
  );
  for (const q of queues) await q.close();
  await connection.quit();
  const oursCpu = (cpuMs(cpuBridge.pid) - before) / n;
  await cpuBridge.kill();
  const rawCpuProc = await rawProcess(fleet, { mode: 'run', n, command: 'true', concurrency: 10 });
  const rawBefore = cpuMs(rawCpuProc.pid);
  rawCpuProc.go();
  await rawCpuProc.line('done');
  const rawCpu = (cpuMs(rawCpuProc.pid) - rawBefore) / n;
  log(`footprint CPU per task: bridge ${oursCpu.toFixed(2)} ms, raw ssh2 ${rawCpu.toFixed(2)} ms`);
  return [
    row(id, `bridge RSS, ${k} sleep tasks running over 10 machines`, {
      unit: 'MiB',
      better: 'lower',
      ours: [oursRss],
      baseline: [rawRss],
      baselineName: 'raw ssh2 process',
      target: { oursAtMost: 200 },
    }),
    row(id, `CPU per task (${n} × true)`, {
      unit: 'ms',
      better: 'lower',
      ours: [oursCpu],
      baseline: [rawCpu],
      baselineName: 'raw ssh2 process',
    }),
  ];
}

function lineCount(path) {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}
