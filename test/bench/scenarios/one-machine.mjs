// 2. One machine: tasks of `true` through one in-process bridge (--batch-size 10), create → COMPLETED, vs a raw
// ssh2 loop on pooled connections with the same concurrency (two connections, five channels each, TCP_NODELAY),
// and vs a plain BullMQ Worker over that same pool (what any design on BullMQ pays on top of the raw loop).
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { addTeam, inProcessBridge } from '../fleet.mjs';
import { rawStack } from '../raw-bullmq.mjs';
import { rawPool, runAll } from '../raw-ssh2.mjs';
import { row } from '../report.mjs';
import { nowMs, until } from '../stats.mjs';

export const id = 'one-machine';
export const title = '2. One machine';
export const describe =
  'Tasks of `true` on one machine: `createMany` → COMPLETED through one bridge with `--batch-size 10` (its default two pooled connections, five runs each, through the remote agent), vs raw ssh2 `exec` on two pooled connections with 10 in flight (TCP_NODELAY on), and vs a plain BullMQ `Worker` (concurrency 10, `addBulk` of 1,000 at priority 3) running the same `exec` on two pooled connections: the queue’s own cost, which any design on BullMQ pays. The three sides take turns, the order rotating rep by rep. Commands per second.';

const TEAM = 'one';

/**
 * Creates the tasks (`create`, 1,000 at a time; by default `client.tasks.createMany`) and resolves with the ms
 * until all are finished (counts polled every 10 ms).
 */
export async function throughputOnce(client, queues, specs, create = (batch) => client.tasks.createMany(batch)) {
  const done = async () => {
    let total = 0;
    for (const q of queues) {
      const c = await q.getJobCounts('completed', 'failed');
      total += c.completed + c.failed;
    }
    return total;
  };
  const failedBefore = await failedCount(queues);
  const before = await done();
  const start = nowMs();
  for (let i = 0; i < specs.length; i += 1000) await create(specs.slice(i, i + 1000));
  await until(`${specs.length} tasks to finish`, async () =>
    (await done()) - before >= specs.length ? true : undefined,
  );
  const ms = nowMs() - start;
  const failed = (await failedCount(queues)) - failedBefore;
  if (failed > 0) throw new Error(`${failed} of ${specs.length} tasks failed`);
  return ms;
}

async function failedCount(queues) {
  let total = 0;
  for (const q of queues) total += (await q.getJobCounts('failed')).failed;
  return total;
}

export function teamQueues(connection, team) {
  return ['tasks', 'critical'].map((name) => new Queue(name, { connection, prefix: `rdc:{${team}}` }));
}

export async function run({ fleet, sizes, reps, log }) {
  const n = sizes.oneMachine;
  const machine = fleet.machines[0];
  await addTeam(fleet, TEAM, [machine]);
  const connection = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const queues = teamQueues(connection, TEAM);
  const bridge = await inProcessBridge(fleet, { teams: [TEAM], batchSize: 10, name: 'bench-one' });
  const pool = await rawPool([machine], { perMachine: 2 });
  const bull = await rawStack({ ...fleet, machines: [machine] }, { name: 'rawone', concurrency: 10, perMachine: 2 });
  const specs = (k) => Array.from({ length: k }, () => ({ team: TEAM, machine: machine.name, command: 'true' }));
  const rawCommands = (k) => Array.from({ length: k }, () => [0, 'true']);
  const bullOnce = (k) =>
    throughputOnce(undefined, [bull.queue], specs(k), (batch) =>
      bull.queue.addBulk(batch.map((t) => ({ name: t.machine, data: t, opts: { priority: 3 } }))),
    );
  try {
    await throughputOnce(fleet.client, queues, specs(100));
    await runAll(pool, rawCommands(100), 10);
    await bullOnce(100);
    const rates = { ours: [], raw: [], bull: [] };
    const measure = {
      ours: async () => n / ((await throughputOnce(fleet.client, queues, specs(n))) / 1000),
      raw: async () => n / ((await runAll(pool, rawCommands(n), 10)) / 1000),
      bull: async () => n / ((await bullOnce(n)) / 1000),
    };
    const sides = Object.keys(measure);
    for (let r = 0; r < reps; r++) {
      for (const k of [...sides.slice(r % 3), ...sides.slice(0, r % 3)]) rates[k].push(await measure[k]());
      log(
        `one machine rep ${r + 1}: ours ${rates.ours.at(-1).toFixed(0)}/s, raw ssh2 ${rates.raw.at(-1).toFixed(0)}/s, raw BullMQ + ssh2 ${rates.bull.at(-1).toFixed(0)}/s`,
      );
    }
    const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    return [
      row(id, `${n} × true, batch 10`, {
        unit: 'cmds/s',
        better: 'higher',
        ours: rates.ours,
        baseline: rates.raw,
        baselineName: 'raw ssh2 pooled',
        target: { ratio: 0.8 },
        note: `a plain BullMQ Worker over the same pool reaches ${(median(rates.bull) / median(rates.raw)).toFixed(3)}× raw ssh2 here (medians): the queue's own cost, before anything of ours`,
      }),
      row(id, `${n} × true, batch 10, vs the queue alone`, {
        unit: 'cmds/s',
        better: 'higher',
        ours: rates.ours,
        baseline: rates.bull,
        baselineName: 'raw BullMQ + ssh2, concurrency 10',
      }),
    ];
  } finally {
    await bull.close();
    pool.close();
    await bridge.close({ graceMs: 0 });
    for (const q of queues) await q.close();
    await connection.quit();
  }
}
