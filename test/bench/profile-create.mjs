// Profiling aid (not part of the bench run): N `tasks.create` one at a time, then N raw `queue.add` of the same
// job, alternating rounds. Run with node --cpu-prof test/bench/profile-create.mjs [N].
import { randomUUID } from 'node:crypto';
import { JOB_DATA_VERSION, storedJobData } from '@rediacc/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { addTeam, startFleet } from './fleet.mjs';
import { nowMs } from './stats.mjs';

const n = Number(process.argv[2] ?? 20000);
const fleet = await startFleet({ machines: 1 });
try {
  await addTeam(fleet, 'pc');
  const connection = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const raw = new Queue('raw', { connection, prefix: 'raw:{pc}' });
  const spec = { team: 'pc', machine: 'm01', command: 'echo hi', priority: 3 };
  // The job data and options our producer stores for the spec (version-2 job data).
  const data = storedJobData({
    v: JOB_DATA_VERSION,
    ...spec,
    maxRetries: 0,
    retryDelay: 30,
    backoff: 'fixed',
    failureAction: 'none',
  });
  for (let round = 0; round < 2; round++) {
    let t = nowMs();
    for (let i = 0; i < n; i++) await fleet.client.tasks.create(spec);
    const ours = nowMs() - t;
    t = nowMs();
    for (let i = 0; i < n; i++) {
      await raw.add('m01', data, { jobId: randomUUID(), priority: 3, attempts: 1, timestamp: Date.now() });
    }
    const base = nowMs() - t;
    console.log(
      `round ${round + 1}: create ${((ours * 1000) / n).toFixed(0)} µs, raw add ${((base * 1000) / n).toFixed(0)} µs`,
    );
  }
  await raw.close();
  await connection.quit();
} finally {
  await fleet.close();
}
