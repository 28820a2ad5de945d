// 8. Crash recovery: SIGKILL the bridge running a task and time until another bridge process has re-attached to
// the run (or collected its result), with the default lock settings and with the short ones the fault tests use.
// Baseline: plain BullMQ worker processes with the same lock settings, where the next worker restarts the job.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addTeam, bridgeProcess, scratchDir } from '../fleet.mjs';
import { row, skippedRow } from '../report.mjs';
import { nowMs, until } from '../stats.mjs';

export const id = 'crash';
export const title = '8. Crash recovery';
export const describe =
  "A bridge process runs a long task; a second bridge process is up and idle; SIGKILL the first and time until `inspect` shows the task held by the second, PROCESSING (re-attached to the run still going on the machine) or COMPLETED (result collected). p50 over the trials. Default settings: lock 10 s, stalled check 5 s; short: lock 2 s, stalled check 1 s (the fault tests' settings). Baseline: plain BullMQ worker processes with the same lock settings: time from SIGKILL until the next worker starts the job again (it reruns it, having no way to re-attach). Each of our trials also checks that the command started once on the machine: a second start fails the scenario.";

const TEAM = 'crash';
// The bridge's defaults are lock 10 s / stalled check 5 s; the raw workers get the same values (BullMQ's own
// defaults, 30 s / 30 s, would take about a minute).
const RAW_DEFAULTS = { lockDurationMs: 10_000, stalledIntervalMs: 5_000 };
const SETTINGS = {
  default: {},
  short: { lockDurationMs: 2_000, stalledIntervalMs: 1_000, pollMs: 100, cancelCheckMs: 500 },
};

/** Holds until `stopFile` exists; appends a line to `startsFile` each time it starts (the machines are this host). */
function hold(stopFile, startsFile) {
  return `echo started >> ${startsFile}; i=0; while [ ! -e ${stopFile} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`;
}

async function oursTrials(fleet, dir, kind, trials, log) {
  const settings = SETTINGS[kind];
  const config = (name) => ({ teams: [TEAM], batchSize: 4, name, ...settings });
  let holder = await bridgeProcess(fleet, config(`crash-${kind}-0`));
  let holderName = `crash-${kind}-0`;
  const times = [];
  try {
    for (let t = 0; t < trials; t++) {
      const stop = join(dir, `stop-${kind}-${t}`);
      const starts = join(dir, `starts-${kind}-${t}`);
      const { taskId } = await fleet.client.tasks.create({ team: TEAM, machine: 'm01', command: hold(stop, starts) });
      await until('task running on the first bridge', async () => {
        const v = await fleet.client.tasks.inspect(taskId);
        return v.status === 'PROCESSING' && v.bridge === holderName ? true : undefined;
      });
      const nextName = `crash-${kind}-${t + 1}`;
      const next = await bridgeProcess(fleet, config(nextName));
      holder.signal('SIGKILL');
      await holder.exited;
      const killed = nowMs();
      const view = await until(
        'the second bridge to take the task over',
        async () => {
          const v = await fleet.client.tasks.inspect(taskId);
          return v.bridge === nextName && (v.status === 'PROCESSING' || v.status === 'COMPLETED') ? v : undefined;
        },
        120_000,
        20,
      );
      times.push(nowMs() - killed);
      writeFileSync(stop, '');
      const done = await fleet.client.tasks.wait(taskId, { timeoutMs: 60_000 });
      if (done.status !== 'COMPLETED') throw new Error(`crash trial ended ${done.status}: ${done.error}`);
      // The row claims the run was taken over, not run again: a second start is a failure, not a timing.
      const started = readFileSync(starts, 'utf8').split('\n').filter(Boolean).length;
      if (started !== 1) throw new Error(`crash trial: the command started ${started} times, not once`);
      const how = /re-attached/.test(next.log())
        ? 're-attached'
        : /collected/.test(next.log())
          ? 'collected'
          : view.status;
      log(`crash ${kind} trial ${t + 1}: ${times.at(-1).toFixed(0)} ms (${how})`);
      holder = next;
      holderName = nextName;
    }
  } finally {
    await holder.kill();
  }
  return times;
}

function rawWorker(fleet, args) {
  const main = new URL('../raw-worker-main.mjs', import.meta.url).pathname;
  const child = spawn(process.execPath, [main, JSON.stringify({ redisUrl: fleet.redis.url, ...args })], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  fleet.owner.own(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  let out = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  return until('raw worker ready', () => (out.includes('ready\n') ? true : undefined), 30_000).then(() => ({
    child,
    exited,
    started: (jobId) => out.includes(`start ${jobId}\n`),
  }));
}

async function rawTrials(fleet, dir, kind, trials, log) {
  const { Queue } = await import('bullmq');
  const { Redis } = await import('ioredis');
  const connection = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const name = `rawcrash-${kind}`;
  const prefix = `raw:{${TEAM}}`;
  const queue = new Queue(name, { connection, prefix });
  const s = kind === 'default' ? RAW_DEFAULTS : SETTINGS[kind];
  const args = { queue: name, prefix, lockDuration: s.lockDurationMs, stalledInterval: s.stalledIntervalMs };
  let holder = await rawWorker(fleet, args);
  const times = [];
  try {
    for (let t = 0; t < trials; t++) {
      const stop = join(dir, `raw-stop-${kind}-${t}`);
      const job = await queue.add('hold', { stopFile: stop }, { priority: 3 });
      await until('raw job started', () => (holder.started(job.id) ? true : undefined));
      const next = await rawWorker(fleet, args);
      holder.child.kill('SIGKILL');
      await holder.exited;
      const killed = nowMs();
      await until('another raw worker to start the job', () => (next.started(job.id) ? true : undefined), 120_000, 5);
      times.push(nowMs() - killed);
      writeFileSync(stop, '');
      log(`crash raw ${kind} trial ${t + 1}: ${times.at(-1).toFixed(0)} ms`);
      holder = next;
    }
  } finally {
    holder.child.kill('SIGKILL');
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    await connection.quit();
  }
  return times;
}

export async function run({ fleet, sizes, log }) {
  await addTeam(fleet, TEAM, [fleet.machines[0]]);
  const dir = await scratchDir(fleet, 'crash');
  const rows = [];
  for (const kind of ['short', 'default']) {
    const trials = kind === 'short' ? sizes.crashTrials : sizes.crashDefaultTrials;
    const label =
      kind === 'short'
        ? 'short settings (lock 2 s, stalled check 1 s)'
        : 'default settings (lock 10 s, stalled check 5 s)';
    if (trials === 0) {
      // Quick mode: the default settings take 10-15 s a trial. A row says so rather than leave it out unannounced.
      const why = `${kind} settings are not run with --quick (10-15 s a trial; run without --quick to measure them)`;
      log(`crash: skipped: ${why}`);
      rows.push(skippedRow(id, `SIGKILL → re-attached, ${label}`, 'plain BullMQ restart, same locks', why));
      continue;
    }
    const raw = await rawTrials(fleet, dir, kind, trials, log);
    const ours = await oursTrials(fleet, dir, kind, trials, log);
    rows.push(
      row(id, `SIGKILL → re-attached, ${label}, p50 of ${trials}`, {
        unit: 'ms',
        better: 'lower',
        ours,
        baseline: raw,
        baselineName: 'plain BullMQ restart, same locks',
      }),
    );
  }
  return rows;
}
