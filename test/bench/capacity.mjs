// Capacity: the highest offered rate of `sleep 0.05` tasks over the ten machines that a side sustains with
// dispatch p99 under 100 ms. Each side is warmed up first (tasks of the same kind at the first rate, not counted);
// then the rate steps up, ours and raw interleaved step by step (the order alternates), each step long enough for
// a p99 that is not just its largest sample. A step fails when its p99 is 100 ms or more or some of its tasks never
// started; a failing step is tried once more (either side, the same rule), and a side stops at its first step that
// fails twice in a row. Dispatch latency is dispatch-sampler's: from the create (or addBulk) call returning to the
// command's first step, the clock helper, stamping CLOCK_MONOTONIC.
import { join } from 'node:path';
import { readClockFile } from './fleet.mjs';
import { row } from './report.mjs';
import { nowMs, percentile, sleep } from './stats.mjs';

export const P99_LIMIT_MS = 100;
const TICK_MS = 50;
const DRAIN_MS = 15_000;

/**
 * The rates offered (tasks/s); each step lasts stepMs or long enough for minSamples tasks, whichever is longer;
 * warmMs of tasks at the first rate before a side's first step.
 */
export function capacitySteps(quick) {
  return quick
    ? { rates: [40, 160], stepMs: 1_000, minSamples: 0, warmMs: 300 }
    : { rates: [20, 40, 60, 80, 100, 120, 140, 160, 180], stepMs: 3_000, minSamples: 250, warmMs: 2_000 };
}

/** How long a step at `rate` lasts. */
export function stepLength(rate, { stepMs, minSamples }) {
  return Math.max(stepMs, Math.ceil((minSamples / rate) * 1000) + TICK_MS);
}

/**
 * `sides`: { ours, raw }, each `add(jobs)` creating [machine, command] pairs in one call. Returns the capacity row,
 * with the p99 of every step in `series` (render.mjs draws it): the repeat's where a step was tried twice, the
 * first try's in `series.firstTry`.
 */
export async function capacity(fleet, { sides, quick, log }) {
  const plan = capacitySteps(quick);
  const { rates } = plan;
  const names = fleet.machines.map((m) => m.name);
  const p99 = { ours: [], raw: [] };
  const firstTry = { ours: [], raw: [] };
  const samples = { ours: [], raw: [] };
  const over = { ours: false, raw: false };
  let files = 0;
  const offerStep = (side, rate, ms, minCount = 0) =>
    offer(sides[side], {
      rate,
      stepMs: ms,
      minCount,
      names,
      file: join(fleet.dir, `capacity-${side}-${++files}`),
      clock: fleet.clock,
    });
  for (const side of ['ours', 'raw']) {
    await offerStep(side, rates[0], plan.warmMs);
    await sleep(300);
  }
  for (const [step, rate] of rates.entries()) {
    for (const side of step % 2 === 0 ? ['ours', 'raw'] : ['raw', 'ours']) {
      firstTry[side].push(null);
      if (over[side]) {
        p99[side].push(null);
        continue;
      }
      let latencies = await offerStep(side, rate, stepLength(rate, plan), plan.minSamples);
      let value = percentile(latencies, 99);
      log(`capacity ${side} ${rate}/s: dispatch p99 ${show(value)} ms of ${latencies.length}`);
      if (!(value < P99_LIMIT_MS)) {
        await sleep(300);
        firstTry[side][step] = rounded(value);
        latencies = await offerStep(side, rate, stepLength(rate, plan), plan.minSamples);
        value = percentile(latencies, 99);
        log(`capacity ${side} ${rate}/s, repeated: dispatch p99 ${show(value)} ms of ${latencies.length}`);
      }
      p99[side].push(rounded(value));
      samples[side].push(latencies.length);
      if (!(value < P99_LIMIT_MS)) over[side] = true;
      await sleep(300); // the last tasks' sleeps end
    }
  }
  const sustained = (side) => {
    const ok = rates.filter((_, i) => typeof p99[side][i] === 'number' && p99[side][i] < P99_LIMIT_MS);
    return ok.length ? Math.max(...ok) : 0;
  };
  const top = rates.at(-1);
  const capped = ['ours', 'raw'].filter((s) => sustained(s) === top);
  const repeated = ['ours', 'raw'].flatMap((s) =>
    rates.flatMap((rate, i) => (firstTry[s][i] === null ? [] : [`${s} at ${rate}/s`])),
  );
  const fewest = Math.min(...samples.ours, ...samples.raw);
  return {
    ...row('cost', `capacity: highest offered rate with dispatch p99 < ${P99_LIMIT_MS} ms (sleep 0.05 over ten)`, {
      unit: 'tasks/s',
      better: 'higher',
      ours: [sustained('ours')],
      baseline: [sustained('raw')],
      baselineName: 'raw BullMQ + ssh2',
      target: { ratio: 0.8 },
      note: [
        `steps at ${rates.join(', ')} tasks/s, each at least ${plan.stepMs / 1000} s and ${plan.minSamples} tasks (the fewest a step had: ${fewest}), after ${plan.warmMs / 1000} s of warm-up per side`,
        `a step over the line was tried once more${repeated.length ? ` (${repeated.join(', ')})` : ' (none was)'}`,
        'the bound is 10 in flight ÷ 0.05 s = 200/s',
        ...(capped.length
          ? [`${capped.join(' and ')} sustained the highest step offered, so the figure is a floor`]
          : []),
      ].join('; '),
    }),
    series: { rates, limitMs: P99_LIMIT_MS, ours: p99.ours, raw: p99.raw, firstTry },
  };
}

function rounded(value) {
  return Number.isFinite(value) ? Math.round(value * 10) / 10 : 'unstarted';
}

function show(value) {
  return Number.isFinite(value) ? value.toFixed(1) : '∞';
}

/**
 * Offers `rate` tasks/s for `stepMs` and at least `minCount` tasks (a batch every 50 ms), then waits for every task
 * to stamp its start; a task that has not started DRAIN_MS after the step ends counts as never dispatched (infinite
 * latency). `samples`, when given, gets each task's { label, created, stamp } (monotonic ms), for a trace.
 */
export async function offer(add, { rate, stepMs, minCount = 0, names, file, clock, samples }) {
  const created = new Map();
  const pending = [];
  const start = nowMs();
  let sent = 0;
  let next = 0;
  for (let tick = 1; nowMs() - start < stepMs || sent < minCount; tick++) {
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
  for (const [label, at] of created) samples?.push({ label, created: at, stamp: stamps.get(label) });
  return [...created].map(([label, at]) => (stamps.has(label) ? stamps.get(label) - at : Number.POSITIVE_INFINITY));
}
