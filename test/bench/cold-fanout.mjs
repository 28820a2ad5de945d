// The cold fan-out row of section 3 alone, for quick iterations: `true` on each of the ten machines from a freshly
// started in-process bridge (started before the clock, no connection open) vs raw ssh2 connecting to the ten
// machines and exec'ing, the two sides interleaved rep by rep (the order alternating), medians and the ratio.
//   node test/bench/cold-fanout.mjs [reps]
// With COLD_TRACE=1, a bridge built with temporary `globalThis.__rdcTrace?.(what, who)` calls prints each rep's
// steps per machine, in ms since the create.
import { addTeam, inProcessBridge, startFleet } from './fleet.mjs';
import { rawPool, runAll } from './raw-ssh2.mjs';
import { teamQueues, throughputOnce } from './scenarios/one-machine.mjs';
import { median, nowMs } from './stats.mjs';

const TEAM = 'cold';
const reps = Number(process.argv[2] ?? 10);
const tracing = process.env.COLD_TRACE === '1';
let trace = [];
/** The timed windows of our side, CLOCK_MONOTONIC ms (COLD_WINDOWS=file writes them, to cut a --cpu-prof to them). */
const windows = [];
if (tracing) globalThis.__rdcTrace = (what, who = '') => trace.push([performance.now(), what, who]);

const fleet = await startFleet({ machines: 10 });
try {
  await addTeam(fleet, TEAM);
  const { Redis } = await import('ioredis');
  const connection = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const queues = teamQueues(connection, TEAM);
  const names = fleet.machines.map((m) => m.name);
  const fan = names.map((_, i) => [i, 'true']);
  const specs = names.map((machine) => ({ team: TEAM, machine, command: 'true' }));
  const sides = {
    ours: async () => {
      const bridge = await inProcessBridge(fleet, { teams: [TEAM], batchSize: 10, name: `cold-${nowMs()}` });
      try {
        trace = [];
        let t0 = 0;
        const before = process.cpuUsage();
        const ms = await throughputOnce(fleet.client, queues, specs, async (batch) => {
          t0 = performance.now();
          await fleet.client.tasks.createMany(batch);
          trace.push([performance.now(), 'created', '']);
        });
        const used = process.cpuUsage(before);
        windows.push([nowMs() - ms, nowMs()]);
        if (tracing) printTrace(t0);
        return { ms, cpu: (used.user + used.system) / 1000 };
      } finally {
        await bridge.close({ graceMs: 0 });
      }
    },
    raw: async () => {
      const start = nowMs();
      const before = process.cpuUsage();
      const pool = await rawPool(fleet.machines, { perMachine: 1 });
      await runAll(pool, fan, 10);
      const ms = nowMs() - start;
      const used = process.cpuUsage(before);
      pool.close();
      return { ms, cpu: (used.user + used.system) / 1000 };
    },
  };
  // Warm-up: each machine's run directory, sshd's first sessions, the JIT.
  for (const side of Object.values(sides)) await side();
  const out = { ours: [], raw: [] };
  // This process's CPU while each side's clock runs (the bridge's, or raw's ssh2 client's): steadier than wall time
  // on a busy box.
  const cpu = { ours: [], raw: [] };
  for (let r = 0; r < reps; r++) {
    const keys = (r % 2 === 0 ? ['ours', 'raw'] : ['raw', 'ours']).filter((k) => k === (process.env.COLD_ONLY ?? k));
    for (const k of keys) {
      const { ms, cpu: used } = await sides[k]();
      out[k].push(ms);
      cpu[k].push(used);
    }
    const last = (list) => (list.at(-1) ?? Number.NaN).toFixed(0);
    console.log(
      `rep ${r + 1}: ours ${last(out.ours)} ms (cpu ${last(cpu.ours)}), raw ${last(out.raw)} ms (cpu ${last(cpu.raw)})`,
    );
  }
  for (const side of [out, cpu]) for (const list of Object.values(side)) if (list.length === 0) list.push(Number.NaN);
  const ours = median(out.ours);
  const raw = median(out.raw);
  console.log(
    `median: ours ${ours.toFixed(0)} ms, raw ${raw.toFixed(0)} ms, ratio ${(raw / ours).toFixed(2)}×; process cpu ours ${median(cpu.ours).toFixed(0)} ms, raw ${median(cpu.raw).toFixed(0)} ms`,
  );
  if (process.env.COLD_WINDOWS)
    (await import('node:fs')).writeFileSync(process.env.COLD_WINDOWS, JSON.stringify(windows));
  for (const q of queues) await q.close();
  await connection.quit();
} finally {
  await fleet.close();
}

function printTrace(t0) {
  const rows = trace.map(([t, what, who]) => `${(t - t0).toFixed(1).padStart(7)} ${who.padEnd(10)} ${what}`);
  console.log(rows.join('\n'));
}
