// 5. P1 under full load: every normal slot busy with long P5 tasks and a deep P5 backlog waiting; P1 dispatch
// latency. Baseline: plain BullMQ with the same worker concurrency, where the P1 job waits for a slot to free.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { dispatchSamples, p50p99 } from '../dispatch-sampler.mjs';
import { addTeam, inProcessBridge } from '../fleet.mjs';
import { rawStack } from '../raw-bullmq.mjs';
import { row } from '../report.mjs';
import { until } from '../stats.mjs';

export const id = 'p1-load';
export const title = '5. P1 under full load';
export const describe =
  'One bridge with `--batch-size 10` (and its default one critical slot): ten P5 `sleep 2` tasks running, one per machine, and a backlog of P5 `sleep 2` tasks waiting behind them (every freed slot takes the next). P1 tasks are created one at a time (100–200 ms apart) and timed from create returning to the command starting. Baseline: plain BullMQ, a Worker of concurrency 10 over raw ssh2, the same running and waiting P5 jobs: its P1 job waits for a slot to free.';

const TEAM = 'p1';
const LONG = 'sleep 2';

export async function run({ fleet, sizes, log }) {
  const names = fleet.machines.map((m) => m.name);
  const backlog = sizes.p1Backlog;
  await addTeam(fleet, TEAM);
  const connection = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const normal = new Queue('tasks', { connection, prefix: `rdc:{${TEAM}}` });
  const critical = new Queue('critical', { connection, prefix: `rdc:{${TEAM}}` });
  const fill = (k) => Array.from({ length: k }, (_, i) => ({ machine: names[i % names.length], command: LONG }));
  const result = {};
  try {
    // Raw first: its P1 samples take longest, and its long jobs end by themselves.
    {
      const raw = await rawStack(fleet, { name: 'rawp1', concurrency: 10, perMachine: 1 });
      try {
        await raw.addMany(fill(10), 5);
        await until('10 raw P5 jobs active', async () => ((await raw.queue.getActiveCount()) >= 10 ? true : undefined));
        await raw.addMany(fill(backlog), 5);
        const samples = await dispatchSamples(fleet, {
          count: sizes.p1Samples,
          gapMs: [100, 200],
          create: (i, command) => raw.queue.add('p1', { machine: names[i % names.length], command }, { priority: 1 }),
        });
        result.raw = p50p99(samples);
      } finally {
        await raw.close();
      }
    }
    const bridge = await inProcessBridge(fleet, { teams: [TEAM], batchSize: 10, name: 'bench-p1' });
    try {
      await fleet.client.tasks.createMany(fill(10).map((s) => ({ ...s, team: TEAM, priority: 5 })));
      await until('10 P5 tasks running', async () => ((await normal.getActiveCount()) >= 10 ? true : undefined));
      for (let i = 0; i < backlog; i += 1000) {
        await fleet.client.tasks.createMany(
          fill(Math.min(1000, backlog - i)).map((s) => ({ ...s, team: TEAM, priority: 5 })),
        );
      }
      const counts = await fleet.client.tasks.counts(TEAM);
      log(`p1: ${counts.active} running, ${counts.pendingByPriority[5]} P5 waiting`);
      const samples = await dispatchSamples(fleet, {
        count: sizes.p1Samples,
        gapMs: [100, 200],
        create: (i, command) =>
          fleet.client.tasks.create({ team: TEAM, machine: names[i % names.length], command, priority: 1 }),
      });
      result.ours = p50p99(samples);
    } finally {
      await bridge.close({ graceMs: 0 });
      await normal.obliterate({ force: true }).catch(() => {});
      await critical.obliterate({ force: true }).catch(() => {});
    }
    log(
      `p1: ours p50 ${result.ours.p50.toFixed(1)} p99 ${result.ours.p99.toFixed(1)} ms; raw p50 ${result.raw.p50.toFixed(0)} p99 ${result.raw.p99.toFixed(0)} ms`,
    );
    const metric = (p) => `P1 dispatch ${p} of ${sizes.p1Samples}, ${backlog} P5 waiting`;
    return [
      row(id, metric('p50'), {
        unit: 'ms',
        better: 'lower',
        ours: [result.ours.p50],
        baseline: [result.raw.p50],
        baselineName: 'plain BullMQ, concurrency 10',
      }),
      row(id, metric('p99'), {
        unit: 'ms',
        better: 'lower',
        ours: [result.ours.p99],
        baseline: [result.raw.p99],
        baselineName: 'plain BullMQ, concurrency 10',
        target: { oursAtMost: 50 },
      }),
    ];
  } finally {
    await normal.close();
    await critical.close();
    await connection.quit();
  }
}
