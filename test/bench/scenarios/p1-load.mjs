// 5. P1 under full load: every normal slot busy with long P5 tasks and a deep P5 backlog waiting; P1 dispatch
// latency. Baseline: plain BullMQ with as many slots as ours in all (our normal slots plus our critical one), every
// one of them busy, where the P1 job waits for a slot to free. Each rep sets up, samples and tears down one side,
// then the other, in alternating order, so a change in the box's load falls on both.
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
  'One bridge with `--batch-size 10` and one critical slot (its default), 11 slots in all: ten P5 `sleep 2` tasks running, one per machine, and a backlog of P5 `sleep 2` tasks waiting behind them (every freed slot takes the next). P1 tasks are created one at a time (100–200 ms apart) and timed from create returning to the command starting. Baseline: plain BullMQ, one Worker of concurrency 11 (the same number of slots) over raw ssh2, its 11 slots busy with the same P5 jobs and the same backlog waiting: its P1 job waits for a slot to free. Ours and the baseline alternate rep by rep (each rep sets up, samples and tears down one side, then the other, in alternating order); the percentiles are over all reps’ samples.';

const LONG = 'sleep 2';
const SLOTS = { batchSize: 10, criticalSlots: 1 };
const RAW_CONCURRENCY = SLOTS.batchSize + SLOTS.criticalSlots;

export async function run({ fleet, sizes, reps, log }) {
  const names = fleet.machines.map((m) => m.name);
  const backlog = sizes.p1Backlog;
  const perRep = Math.ceil(sizes.p1Samples / reps);
  const fill = (k) => Array.from({ length: k }, (_, i) => ({ machine: names[i % names.length], command: LONG }));
  const sides = {
    // A fresh team and a fresh raw queue each rep: nothing left over from the previous rep's teardown.
    ours: (r) => oursRep(fleet, { team: `p1r${r}`, names, fill, backlog, count: perRep, log }),
    raw: (r) => rawRep(fleet, { name: `rawp1r${r}`, names, fill, backlog, count: perRep }),
  };
  const samples = { ours: [], raw: [] };
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? ['raw', 'ours'] : ['ours', 'raw'];
    for (const side of order) samples[side].push(...(await sides[side](r)));
    const now = { ours: p50p99(samples.ours), raw: p50p99(samples.raw) };
    log(
      `p1 rep ${r + 1} (${order.join(' then ')}): ours p50 ${now.ours.p50.toFixed(1)} p99 ${now.ours.p99.toFixed(1)} ms; raw p50 ${now.raw.p50.toFixed(0)} p99 ${now.raw.p99.toFixed(0)} ms (so far)`,
    );
  }
  const result = { ours: p50p99(samples.ours), raw: p50p99(samples.raw) };
  const n = samples.ours.length;
  const metric = (p) => `P1 dispatch ${p} of ${n} (${reps} interleaved rep(s)), ${backlog} P5 waiting`;
  const baselineName = `plain BullMQ, concurrency ${RAW_CONCURRENCY}`;
  return [
    row(id, metric('p50'), {
      unit: 'ms',
      better: 'lower',
      ours: [result.ours.p50],
      baseline: [result.raw.p50],
      baselineName,
    }),
    row(id, metric('p99'), {
      unit: 'ms',
      better: 'lower',
      ours: [result.ours.p99],
      baseline: [result.raw.p99],
      baselineName,
      target: { oursAtMost: 50 },
    }),
  ];
}

/** Plain BullMQ with all its slots busy and the backlog waiting: P1 samples. */
async function rawRep(fleet, { name, names, fill, backlog, count }) {
  const raw = await rawStack(fleet, { name, concurrency: RAW_CONCURRENCY, perMachine: 1 });
  try {
    await raw.addMany(fill(RAW_CONCURRENCY), 5);
    await until(`${RAW_CONCURRENCY} raw P5 jobs active`, async () =>
      (await raw.queue.getActiveCount()) >= RAW_CONCURRENCY ? true : undefined,
    );
    await raw.addMany(fill(backlog), 5);
    return await dispatchSamples(fleet, {
      count,
      gapMs: [100, 200],
      create: (i, command) => raw.queue.add('p1', { machine: names[i % names.length], command }, { priority: 1 }),
    });
  } finally {
    await raw.close();
  }
}

/** One bridge with its normal slots busy and the backlog waiting: P1 samples. */
async function oursRep(fleet, { team, names, fill, backlog, count, log }) {
  await addTeam(fleet, team);
  const connection = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const normal = new Queue('tasks', { connection, prefix: `rdc:{${team}}` });
  const critical = new Queue('critical', { connection, prefix: `rdc:{${team}}` });
  const bridge = await inProcessBridge(fleet, { teams: [team], ...SLOTS, name: `bench-${team}` });
  try {
    await fleet.client.tasks.createMany(fill(SLOTS.batchSize).map((s) => ({ ...s, team, priority: 5 })));
    await until(`${SLOTS.batchSize} P5 tasks running`, async () =>
      (await normal.getActiveCount()) >= SLOTS.batchSize ? true : undefined,
    );
    for (let i = 0; i < backlog; i += 1000) {
      await fleet.client.tasks.createMany(fill(Math.min(1000, backlog - i)).map((s) => ({ ...s, team, priority: 5 })));
    }
    const counts = await fleet.client.tasks.counts(team);
    log(`p1 ${team}: ${counts.active} running, ${counts.pendingByPriority[5]} P5 waiting`);
    return await dispatchSamples(fleet, {
      count,
      gapMs: [100, 200],
      create: (i, command) =>
        fleet.client.tasks.create({ team, machine: names[i % names.length], command, priority: 1 }),
    });
  } finally {
    await bridge.close({ graceMs: 0 });
    await normal.obliterate({ force: true }).catch(() => {});
    await critical.obliterate({ force: true }).catch(() => {});
    await normal.close();
    await critical.close();
    await connection.quit();
  }
}
