// Profiling aid (not part of the bench run): N tasks of `true` on one machine through an in-process bridge, with
// Redis INFO commandstats per task. Run with node --cpu-prof test/bench/profile-one.mjs [N].
import { Redis } from 'ioredis';
import { addTeam, inProcessBridge, startFleet } from './fleet.mjs';
import { teamQueues, throughputOnce } from './scenarios/one-machine.mjs';

const n = Number(process.argv[2] ?? 2000);
const fleet = await startFleet({ machines: 1 });
try {
  await addTeam(fleet, 'prof');
  const admin = new Redis(fleet.redis.url);
  const queues = teamQueues(admin, 'prof');
  const bridge = await inProcessBridge(fleet, { teams: ['prof'], batchSize: 10, name: 'prof' });
  const specs = (k) => Array.from({ length: k }, () => ({ team: 'prof', machine: 'm01', command: 'true' }));
  await throughputOnce(fleet.client, queues, specs(200));
  await admin.config('RESETSTAT');
  const cpu0 = process.cpuUsage();
  const ms = await throughputOnce(fleet.client, queues, specs(n));
  const cpu = process.cpuUsage(cpu0);
  console.log(`node CPU per task ${((cpu.user + cpu.system) / 1000 / n).toFixed(2)} ms`);
  console.log(`${n} tasks in ${ms.toFixed(0)} ms: ${(n / (ms / 1000)).toFixed(0)}/s`);
  const stats = (await admin.info('commandstats')).split('\n').filter((l) => l.startsWith('cmdstat_'));
  const rows = stats.map((l) => {
    const [name, rest] = l.slice(8).split(':');
    const calls = Number(/calls=(\d+)/.exec(rest)[1]);
    const usec = Number(/usec=(\d+)/.exec(rest)[1]);
    return { name, perTask: calls / n, usecPerTask: usec / n };
  });
  rows.sort((a, b) => b.perTask - a.perTask);
  for (const r of rows)
    console.log(`${r.name.padEnd(16)} ${r.perTask.toFixed(2)} calls/task ${r.usecPerTask.toFixed(1)} µs/task`);
  console.log(`total ${rows.reduce((a, r) => a + r.perTask, 0).toFixed(1)} calls/task`);
  await bridge.close({ graceMs: 0 });
  for (const q of queues) await q.close();
  await admin.quit();
} finally {
  await fleet.close();
}
