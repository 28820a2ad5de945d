// Profile of one task's path (not part of the bench run): node test/bench/profile-one.mjs [N] [--write | --write-before]
// [--keep=FILE] (a copy of the bridge's .cpuprofile, to look into)
// A bridge process (`--batch-size 10`, started with node --cpu-prof and the counters.mjs preload with its trace on)
// on a one-machine fleet: N tasks of `true` in one batch (Redis `INFO commandstats`, what the bridge sent, its CPU),
// then 50 tasks one at a time (each created once the one before has finished: the trace cut into one task's
// steps). Prints docs/performance.md's generated block; --write also stores test/bench/results/profile-one.json
// and splices the block into docs/performance.md; --write-before stores and splices the "before" block instead (run
// on a checkout of the code before a round of cuts, with this script copied in).
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { commandStats, countedBridge, countersDelta } from './counted.mjs';
import { addTeam, startFleet } from './fleet.mjs';
import { PERF_BLOCKS, renderPerformance, splicePerformance, summarizeProfile, taskPath } from './perf-report.mjs';
import { nowMs, sleep } from './stats.mjs';

const args = process.argv.slice(2);
const which = args.includes('--write-before') ? 'before' : args.includes('--write') ? 'current' : undefined;
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 2000);
const ONE_AT_A_TIME = 50;
const ROOT = new URL('../..', import.meta.url).pathname;
const TEAM = 'prof';

const load = loadavg()[0].toFixed(1);
const fleet = await startFleet({ machines: 1 });
try {
  await addTeam(fleet, TEAM);
  const admin = new Redis(fleet.redis.url);
  const profDir = join(fleet.dir, 'prof');
  const bridge = await countedBridge(
    fleet,
    { teams: [TEAM], batchSize: 10, name: 'prof' },
    { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir], env: { RDC_BENCH_TRACE: '1' } },
  );
  const finishedKeys = ['tasks', 'critical'].flatMap((q) => [
    `rdc:{${TEAM}}:${q}:completed`,
    `rdc:{${TEAM}}:${q}:failed`,
  ]);
  let polls = 0;
  const finished = async () => {
    polls++;
    const pipe = admin.pipeline();
    for (const key of finishedKeys) pipe.zcard(key);
    return (await pipe.exec()).reduce((sum, [, count]) => sum + count, 0);
  };
  const create = (k) =>
    fleet.client.tasks.createMany(Array.from({ length: k }, () => ({ team: TEAM, machine: 'm01', command: 'true' })));
  const waitFor = async (count, pollMs) => {
    while ((await finished()) < count) await sleep(pollMs);
  };

  await create(200); // warm-up: connection, agent, scripts
  await waitFor(200, 20);
  await sleep(200);
  const fromMs = nowMs();
  const c0 = await bridge.counters();
  polls = 0;
  const s0 = await commandStats(admin);
  const t0 = nowMs();
  for (let i = 0; i < n; i += 1000) await create(Math.min(1000, n - i));
  await waitFor(200 + n, 20);
  const ms = nowMs() - t0;
  await sleep(200);
  const s1 = await commandStats(admin);
  const ownCalls = { zcard: polls * finishedKeys.length, info: 1 }; // the completion polls and the first INFO
  const c1 = await bridge.counters();

  const tasks = [];
  for (let i = 0; i < ONE_AT_A_TIME; i++) {
    const created = nowMs();
    await create(1);
    await waitFor(200 + n + i + 1, 1);
    tasks.push({ created, done: nowMs() });
    await sleep(20); // the task's trailing writes, before the next one starts
  }
  const c2 = await bridge.counters();
  const toMs = nowMs();
  await bridge.stop();
  await admin.quit();

  const d = countersDelta(c1, c0);
  const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  const server = Object.entries(s1)
    .map(([cmd, calls]) => [cmd, (calls - (s0[cmd] ?? 0) - (ownCalls[cmd] ?? 0)) / n])
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1]);
  const profFile = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  const keep = args.find((a) => a.startsWith('--keep='))?.slice('--keep='.length);
  if (keep) copyFileSync(join(profDir, profFile), keep);
  const data = {
    command: `node test/bench/profile-one.mjs ${n} ${which === 'before' ? '--write-before' : '--write'}`,
    commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim(),
    date: new Date().toISOString(),
    env: `node ${process.version}, one sshd machine, bridge \`--batch-size 10\`, load average ${load} at the start`,
    batch: {
      tasks: n,
      rate: n / (ms / 1000),
      commands: sum(Object.fromEntries(server)),
      server: server.filter(([, v]) => v >= 0.05),
      sent: sum(d.redis) / n,
      sshMessages: sum(d.ssh) / n,
      sftp: sum(d.sftp) / n,
      bytes: { written: d.sshBytes.written / n, read: d.sshBytes.read / n },
      cpuMs: d.cpuMs / n,
    },
    path: taskPath(
      c2.trace.filter(([t]) => t >= tasks[0].created),
      tasks,
    ),
    profile: summarizeProfile(JSON.parse(readFileSync(join(profDir, profFile), 'utf8')), { fromMs, toMs }),
  };
  const block = renderPerformance(data, which);
  console.log(block);
  if (which) {
    const file = PERF_BLOCKS[which].file;
    writeFileSync(join(ROOT, file), `${JSON.stringify(data, null, 2)}\n`);
    const docPath = join(ROOT, 'docs/performance.md');
    writeFileSync(docPath, splicePerformance(readFileSync(docPath, 'utf8'), block, which));
    console.log(`wrote ${file} and ${docPath}`);
  }
} finally {
  await fleet.close();
}
