// 4. Dispatch latency: time from `create` returning to the command starting on its machine, on an idle fleet and
// under load (a steady stream of `sleep 0.05` tasks at the same priority over the ten machines), vs the raw stack:
// plain BullMQ queue.add → Worker (concurrency 10) → raw ssh2 exec on a pooled connection.

import { dispatchSamples, p50p99 } from '../dispatch-sampler.mjs';
import { addTeam, inProcessBridge } from '../fleet.mjs';
import { rawStack } from '../raw-bullmq.mjs';
import { row } from '../report.mjs';

export const id = 'latency';
export const title = '4. Dispatch latency';
export const describe =
  "From `create` returning to the command starting on the machine: the command is a tiny helper that appends `CLOCK_MONOTONIC` to a file (same host clock as the bench's `process.hrtime`). Samples one at a time over the ten machines, priority 3, after a warm-up. Idle: nothing else running. Under load: a feeder adds 3 `sleep 0.05` tasks every 50 ms (60/s) at the same priority, so slots are mostly busy. Baseline: plain BullMQ `queue.add` → `Worker` (concurrency 10) → raw ssh2 `exec` on pooled connections, same samples, same load. None of our peers (pssh, Ansible) publishes a figure for this.";

const TEAM = 'lat';

export async function run({ fleet, sizes, log }) {
  const n = sizes.latencySamples;
  const names = fleet.machines.map((m) => m.name);
  await addTeam(fleet, TEAM);
  const bridge = await inProcessBridge(fleet, { teams: [TEAM], batchSize: 10, name: 'bench-lat' });
  const raw = await rawStack(fleet, { name: 'rawlat', concurrency: 10 });
  const systems = {
    ours: (i, command) =>
      fleet.client.tasks.create({ team: TEAM, machine: names[i % names.length], command, priority: 3 }),
    raw: (i, command) =>
      raw.queue.add(names[i % names.length], { machine: names[i % names.length], command }, { priority: 3 }),
  };
  const feeders = {
    ours: (k) =>
      fleet.client.tasks.createMany(
        Array.from({ length: 3 }, (_, j) => ({
          team: TEAM,
          machine: names[(k + j) % names.length],
          command: 'sleep 0.05',
        })),
      ),
    raw: (k) =>
      raw.addMany(
        Array.from({ length: 3 }, (_, j) => ({ machine: names[(k + j) % names.length], command: 'sleep 0.05' })),
        3,
      ),
  };
  const result = {};
  try {
    for (const mode of ['idle', 'load']) {
      for (const name of mode === 'idle' ? ['ours', 'raw'] : ['raw', 'ours']) {
        await dispatchSamples(fleet, { count: 10, create: systems[name] });
        let feeder;
        let fed = 0;
        if (mode === 'load') {
          feeder = setInterval(() => {
            feeders[name](fed++ * 3).catch((error) => log(`feeder: ${error.message}`));
          }, 50);
          await new Promise((r) => setTimeout(r, 1000));
        }
        try {
          result[`${name}-${mode}`] = p50p99(await dispatchSamples(fleet, { count: n, create: systems[name] }));
        } finally {
          clearInterval(feeder);
        }
        await new Promise((r) => setTimeout(r, mode === 'load' ? 1500 : 0)); // let the load drain
        const { p50, p99 } = result[`${name}-${mode}`];
        log(`latency ${name} ${mode}: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
      }
    }
    const rows = [];
    for (const mode of ['idle', 'load']) {
      for (const p of ['p50', 'p99']) {
        rows.push(
          row(id, `${mode === 'idle' ? 'idle fleet' : 'under load (60 sleep 0.05/s)'}, ${p} of ${n}`, {
            unit: 'ms',
            better: 'lower',
            ours: [result[`ours-${mode}`][p]],
            baseline: [result[`raw-${mode}`][p]],
            baselineName: 'raw BullMQ + ssh2',
            // Issue 13's targets: the p99s within 0.8× of the raw stack's, idle and under load.
            target: p === 'p99' ? { ratio: 0.8 } : null,
          }),
        );
      }
    }
    return rows;
  } finally {
    await bridge.close({ graceMs: 0 });
    await raw.close();
  }
}
