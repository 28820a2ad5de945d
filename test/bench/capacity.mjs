// Capacity: the highest offered rate of `sleep 0.05` tasks over the ten machines that a side sustains with
// dispatch p99 under 100 ms. The rate steps up, ours and raw interleaved step by step (the order alternates);
// a side stops stepping at its first rate over the line. Dispatch latency is dispatch-sampler's: from the create
// (or addBulk) call returning to the command's first step, the clock helper, stamping CLOCK_MONOTONIC.
import { join } from 'node:path';
import { readClockFile } from './fleet.mjs';
import { row } from './report.mjs';
import { nowMs, percentile, sleep } from './stats.mjs';

export const P99_LIMIT_MS = 100;
const TICK_MS = 50;
const DRAIN_MS = 15_000;

/** The rates offered (tasks/s) and how long each step lasts. */
export function capacitySteps(quick) {
  return quick
    ? { rates: [40, 160], stepMs: 1_000 }
    : { rates: [20, 40, 60, 80, 100, 120, 140, 160, 180], stepMs: 3_000 };
}

/**
 * `sides`: { ours, raw }, each `add(jobs)` creating [machine, command] pairs in one call. Returns the capacity row,
 * with the p99 of every step in `series` (render.mjs draws it).
 */
export async function capacity(fleet, { sides, quick, log }) {
  const { rates, stepMs } = capacitySteps(quick);
  const names = fleet.machines.map((m) => m.name);
  const p99 = { ours: [], raw: [] };
  const over = { ours: false, raw: false };
  for (const [step, rate] of rates.entries()) {
    for (const side of step % 2 === 0 ? ['ours', 'raw'] : ['raw', 'ours']) {
      if (over[side]) {
        p99[side].push(null);
        continue;
      }
      const file = join(fleet.dir, `capacity-${side}-${rate}`);
      const latencies = await offer(sides[side], { rate, stepMs, names, file, clock: fleet.clock });
      const value = percentile(latencies, 99);
      p99[side].push(Number.isFinite(value) ? Math.round(value * 10) / 10 : 'unstarted');
      if (!(value < P99_LIMIT_MS)) over[side] = true;
      log(`capacity ${side} ${rate}/s: dispatch p99 ${Number.isFinite(value) ? value.toFixed(1) : '∞'} ms`);
      await sleep(300); // the last tasks' sleeps end
    }
  }
  const sustained = (side) => {
    const ok = rates.filter((_, i) => typeof p99[side][i] === 'number' && p99[side][i] < P99_LIMIT_MS);
    return ok.length ? Math.max(...ok) : 0;
  };
  const top = rates.at(-1);
  const capped = ['ours', 'raw'].filter((s) => sustained(s) === top);
  return {
    ...row('cost', `capacity: highest offered rate with dispatch p99 < ${P99_LIMIT_MS} ms (sleep 0.05 over ten)`, {
      unit: 'tasks/s',
      better: 'higher',
      ours: [sustained('ours')],
      baseline: [sustained('raw')],
      baselineName: 'raw BullMQ + ssh2',
      target: { ratio: 0.8 },
      note: `steps of ${stepMs / 1000} s at ${rates.join(', ')} tasks/s; the bound is 10 in flight ÷ 0.05 s = 200/s${capped.length ? `; ${capped.join(' and ')} sustained the highest step offered, so the figure is a floor` : ''}`,
    }),
    series: { rates, limitMs: P99_LIMIT_MS, ours: p99.ours, raw: p99.raw },
  };
}

/**
 * Offers `rate` tasks/s for `stepMs` (a batch every 50 ms), then waits for every task to stamp its start; a task
 * that has not started DRAIN_MS after the step ends counts as never dispatched (infinite latency).
 */
async function offer(add, { rate, stepMs, names, file, clock }) {
  const created = new Map();
  const pending = [];
  const start = nowMs();
  let sent = 0;
  let next = 0;
  for (let tick = 1; nowMs() - start < stepMs; tick++) {
    const due = Math.floor((rate * (nowMs() - start)) / 1000) - sent;
    if (due > 0) {
      const labels = Array.from({ length: due }, (_, i) => `t${sent + i}`);
      sent += due;
      const jobs = labels.map((label) => [names[next++ % names.length], `${clock.command(file, label)}; sleep 0.05`]);
      pending.push(
        add(jobs).then(() => {
          const at = nowMs();
          for (const label of labels) created.set(label, at);
        }),
      );
    }
    await sleep(Math.max(0, start + tick * TICK_MS - nowMs()));
  }
  await Promise.all(pending);
  const deadline = nowMs() + DRAIN_MS;
  let stamps = readClockFile(file);
  while (stamps.size < sent && nowMs() < deadline) {
    await sleep(20);
    stamps = readClockFile(file);
  }
  return [...created].map(([label, at]) => (stamps.has(label) ? stamps.get(label) - at : Number.POSITIVE_INFINITY));
}
