// 2. One machine: tasks of `true` through one in-process bridge (--batch-size 10), create → COMPLETED, vs a raw
// ssh2 loop on pooled connections with the same concurrency (two connections, five channels each, TCP_NODELAY).
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { addTeam, inProcessBridge } from '../fleet.mjs';
import { rawPool, runAll } from '../raw-ssh2.mjs';
import { row } from '../report.mjs';
import { nowMs, until } from '../stats.mjs';

export const id = 'one-machine';
export const title = '2. One machine';
export const describe =
  'Tasks of `true` on one machine: `createMany` → COMPLETED through one bridge with `--batch-size 10` (its default two pooled connections, five runs each, through the remote agent), vs raw ssh2 `exec` on two pooled connections with 10 in flight (TCP_NODELAY on). Commands per second.';

const TEAM = 'one';

/** Creates `n` tasks and resolves with the ms until all are finished (counts polled every 10 ms). */
export async function throughputOnce(client, queues, specs) {
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
  for (let i = 0; i < specs.length; i += 1000) await client.tasks.createMany(specs.slice(i, i + 1000));
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
  const specs = (k) => Array.from({ length: k }, () => ({ team: TEAM, machine: machine.name, command: 'true' }));
  const rawCommands = (k) => Array.from({ length: k }, () => [0, 'true']);
  try {
    await throughputOnce(fleet.client, queues, specs(100));
    await runAll(pool, rawCommands(100), 10);
    const ours = [];
    const raw = [];
    for (let r = 0; r < reps; r++) {
      const measure = {
        ours: async () => ours.push(n / ((await throughputOnce(fleet.client, queues, specs(n))) / 1000)),
        raw: async () => raw.push(n / ((await runAll(pool, rawCommands(n), 10)) / 1000)),
      };
      for (const k of r % 2 === 0 ? ['raw', 'ours'] : ['ours', 'raw']) await measure[k]();
      log(`one machine rep ${r + 1}: ours ${ours.at(-1).toFixed(0)}/s, raw ssh2 ${raw.at(-1).toFixed(0)}/s`);
    }
    return [
      row(id, `${n} × true, batch 10`, {
        unit: 'cmds/s',
        better: 'higher',
        ours,
        baseline: raw,
        baselineName: 'raw ssh2 pooled',
        target: { ratio: 0.8 },
      }),
    ];
  } finally {
    pool.close();
    await bridge.close({ graceMs: 0 });
    for (const q of queues) await q.close();
    await connection.quit();
  }
}
