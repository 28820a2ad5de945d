// 1. Enqueue: tasks.create one at a time and tasks.createMany in batches of 1,000 (priorities 1–5) vs raw BullMQ
// queue.add / addBulk of the same job data and options, into the same Redis. Interleaved, order alternating.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOB_DATA_VERSION, storedJobData } from '@rediacc/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { addTeam } from '../fleet.mjs';
import { row } from '../report.mjs';
import { nowMs } from '../stats.mjs';

export const id = 'enqueue';
export const title = '1. Enqueue';
export const describe =
  '`tasks.create` awaited one at a time, and `tasks.createMany` in batches of 1,000, of tasks with priorities 1–5 over ten machines, vs raw BullMQ `queue.add` / `addBulk` (one queue, same job data and options as ours stores, a fresh UUID job id each). Tasks per second.';

const TEAM = 'enq';
const CLI_BIN = fileURLToPath(new URL('../../../packages/cli/dist/bin.js', import.meta.url));

function specs(n, machines) {
  return Array.from({ length: n }, (_, i) => ({
    team: TEAM,
    machine: machines[i % machines.length].name,
    command: `echo task ${i}`,
    priority: 1 + (i % 5),
  }));
}

/** The job our producer stores for a spec (task-factory.ts, task-add.ts), for raw BullMQ to add as is. */
function rawEntry(spec) {
  return {
    name: spec.machine,
    data: storedJobData({
      v: JOB_DATA_VERSION,
      team: spec.team,
      machine: spec.machine,
      command: spec.command,
      priority: spec.priority,
      maxRetries: 0,
      retryDelay: 30,
      backoff: 'fixed',
      failureAction: 'none',
    }),
    opts: { jobId: randomUUID(), priority: spec.priority, attempts: 1, timestamp: Date.now() },
  };
}

export async function run({ fleet, sizes, reps, log }) {
  const n = sizes.enqueue;
  const client = fleet.client;
  await addTeam(fleet, TEAM);
  const connection = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const raw = new Queue('raw', { connection, prefix: `raw:{${TEAM}}` });
  const ourQueues = ['tasks', 'critical'].map((name) => new Queue(name, { connection, prefix: `rdc:{${TEAM}}` }));
  const clean = async () => {
    for (const q of [raw, ...ourQueues]) await q.obliterate({ force: true });
    // Not BullMQ's keys, so not obliterated: the lanes' machine indexes.
    const indexes = (await Promise.all(ourQueues.map((q) => connection.keys(q.toKey('by-machine:*'))))).flat();
    if (indexes.length) await connection.del(...indexes);
  };
  const methods = {
    oursSingle: async (list) => {
      for (const s of list) await client.tasks.create(s);
    },
    rawSingle: async (list) => {
      for (const s of list) {
        const e = rawEntry(s);
        await raw.add(e.name, e.data, e.opts);
      }
    },
    oursMany: async (list) => {
      for (let i = 0; i < list.length; i += 1000) await client.tasks.createMany(list.slice(i, i + 1000));
    },
    rawMany: async (list) => {
      for (let i = 0; i < list.length; i += 1000) await raw.addBulk(list.slice(i, i + 1000).map(rawEntry));
    },
    // The whole CLI run (Node start-up included) of `rediacc create tasks --file`, all the list in one file.
    oursFile: async (list) => {
      const file = join(fileDir, 'tasks.jsonl');
      writeFileSync(file, `${list.map((s) => JSON.stringify(s)).join('\n')}\n`);
      const run = spawnSync(process.execPath, [CLI_BIN, 'create', 'tasks', '--file', file], {
        env: { ...process.env, REDIS_URL: fleet.redis.url, RDC_LOG_LEVEL: 'warn' },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      if (run.status !== 0) throw new Error(`create tasks --file failed: ${run.stderr}`);
    },
    rawAll: async (list) => {
      await raw.addBulk(list.map(rawEntry));
    },
  };
  const fileDir = mkdtempSync(join(tmpdir(), 'rdc-bench-file-'));
  const rate = async (fn, list) => {
    const start = nowMs();
    await fn(list);
    const ms = nowMs() - start;
    await clean();
    return list.length / (ms / 1000);
  };
  try {
    const machines = fleet.machines;
    // Warm-up: registry cache, Lua scripts loaded, JIT.
    for (const fn of Object.values(methods)) await rate(fn, specs(Math.min(500, n), machines));
    const out = { oursSingle: [], rawSingle: [], oursMany: [], rawMany: [], oursFile: [], rawAll: [] };
    for (let r = 0; r < reps; r++) {
      const list = specs(n, machines);
      const order =
        r % 2 === 0
          ? ['oursSingle', 'rawSingle', 'oursMany', 'rawMany', 'oursFile', 'rawAll']
          : ['rawAll', 'oursFile', 'rawMany', 'oursMany', 'rawSingle', 'oursSingle'];
      for (const name of order) out[name].push(await rate(methods[name], list));
      log(`enqueue rep ${r + 1}: ${order.map((k) => `${k} ${out[k].at(-1).toFixed(0)}/s`).join(', ')}`);
    }
    return [
      row(id, `create one at a time, ${n} tasks`, {
        unit: 'tasks/s',
        better: 'higher',
        ours: out.oursSingle,
        baseline: out.rawSingle,
        baselineName: 'raw queue.add',
        target: { ratio: 0.7 },
      }),
      row(id, `createMany in batches of 1,000, ${n} tasks`, {
        unit: 'tasks/s',
        better: 'higher',
        ours: out.oursMany,
        baseline: out.rawMany,
        baselineName: 'raw addBulk',
        target: { ratio: 0.8 },
      }),
      row(id, `create tasks --file (the CLI, Node start-up included), ${n} tasks`, {
        unit: 'tasks/s',
        better: 'higher',
        ours: out.oursFile,
        baseline: out.rawAll,
        baselineName: 'raw addBulk of all',
      }),
    ];
  } finally {
    await clean().catch(() => {});
    rmSync(fileDir, { recursive: true, force: true });
    await raw.close();
    for (const q of ourQueues) await q.close();
    await connection.quit();
  }
}
