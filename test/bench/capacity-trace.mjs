// Where a capacity step's dispatch time goes (not part of the bench): node test/bench/capacity-trace.mjs [rate] [seconds]
// Ours only: `sleep 0.05` tasks over ten machines at `rate`/s through a bridge process (--batch-size 10); per task,
// from the create call returning: BullMQ's claim (job.processedOn), and the command's first step (the clock helper).
import { join } from 'node:path';
import { countedBridge } from './counted.mjs';
import { addTeam, readClockFile, startFleet } from './fleet.mjs';
import { nowMs, percentile, sleep } from './stats.mjs';

const rate = Number(process.argv[2] ?? 40);
const seconds = Number(process.argv[3] ?? 5);
const TEAM = 'trace';
const fleet = await startFleet({ machines: 10 });
try {
  await addTeam(fleet, TEAM);
  const bridge = await countedBridge(fleet, { teams: [TEAM], batchSize: 10, name: 'trace' });
  const names = fleet.machines.map((m) => m.name);
  const file = join(fleet.dir, 'trace-clock');
  const created = new Map();
  // Wall clock minus monotonic, to place BullMQ's processedOn (Date.now() on the bridge) on the monotonic axis.
  const offset = Date.now() - nowMs();
  const warm = await fleet.client.tasks.createMany(names.map((machine) => ({ team: TEAM, machine, command: 'true' })));
  for (const t of warm) await fleet.client.tasks.wait(t.taskId, { timeoutMs: 30_000 });
  const start = nowMs();
  let sent = 0;
  const pending = [];
  for (let tick = 1; nowMs() - start < seconds * 1000; tick++) {
    const due = Math.floor((rate * (nowMs() - start)) / 1000) - sent;
    if (due > 0) {
      const labels = Array.from({ length: due }, (_, i) => `t${sent + i}`);
      const specs = labels.map((label, i) => ({
        team: TEAM,
        machine: names[(sent + i) % names.length],
        command: `${fleet.clock.command(file, label)}; sleep 0.05`,
      }));
      sent += due;
      pending.push(
        fleet.client.tasks.createMany(specs).then((tasks) => {
          const at = nowMs();
          for (const [i, t] of tasks.entries()) created.set(labels[i], { at, taskId: t.taskId });
        }),
      );
    }
    await sleep(Math.max(0, start + tick * 50 - nowMs()));
  }
  await Promise.all(pending);
  await sleep(3_000);
  const stamps = readClockFile(file);
  const rows = [];
  for (const [label, { at, taskId }] of created) {
    const view = await fleet.client.tasks.inspect(taskId);
    rows.push({ label, dispatch: (stamps.get(label) ?? Number.NaN) - at, view });
  }
  const { Redis } = await import('ioredis');
  const redis = new Redis(fleet.redis.url);
  const claim = [];
  const start2 = [];
  for (const r of rows) {
    const [processedOn] = await redis.hmget(`rdc:{${TEAM}}:tasks:${r.view.taskId}`, 'processedOn');
    const p = Number(processedOn) - offset - created.get(r.label).at;
    claim.push(p);
    start2.push(r.dispatch - p);
    r.claim = p;
  }
  const d = rows.map((r) => r.dispatch);
  const fmt = (v) =>
    `p50 ${percentile(v, 50).toFixed(1)} p90 ${percentile(v, 90).toFixed(1)} p99 ${percentile(v, 99).toFixed(1)} max ${Math.max(...v).toFixed(1)}`;
  console.log(`rate ${rate}/s, ${rows.length} tasks`);
  console.log(`dispatch          ${fmt(d)}`);
  console.log(`create→claimed    ${fmt(claim)}`);
  console.log(`claimed→started   ${fmt(start2)}`);
  const worst = rows.sort((a, b) => b.dispatch - a.dispatch).slice(0, 8);
  for (const r of worst)
    console.log(`  ${r.label} ${r.view.machine} dispatch ${r.dispatch.toFixed(1)} claim ${r.claim.toFixed(1)}`);
  await redis.quit();
  await bridge.stop();
} finally {
  await fleet.close();
}
