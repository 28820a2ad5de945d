// Dispatch latency samples: create a task whose command writes the machine's CLOCK_MONOTONIC (the machines are
// this host, so it is the clock process.hrtime reads), and take the time from create returning to that stamp.
// One sample at a time, with a random gap so samples do not lock into the phase of any poll interval.
import { join } from 'node:path';
import { readClockFile } from './fleet.mjs';
import { nowMs, percentile, sleep, until } from './stats.mjs';

let files = 0;

/**
 * `create(i, command)` enqueues sample i (resolving when create returns); returns the latencies in ms.
 * `gapMs`: [min, max] pause between samples.
 */
export async function dispatchSamples(fleet, { count, create, gapMs = [0, 10], timeoutMs = 60_000 }) {
  const file = join(fleet.dir, `clock-${process.pid}-${++files}`);
  const out = [];
  for (let i = 0; i < count; i++) {
    const label = `s${i}`;
    await create(i, fleet.clock.command(file, label));
    const created = nowMs();
    const started = await until(`sample ${label} to start`, () => readClockFile(file).get(label), timeoutMs, 1);
    out.push(started - created);
    await sleep(gapMs[0] + Math.random() * (gapMs[1] - gapMs[0]));
  }
  return out;
}

export function p50p99(samples) {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}
