// The raw-stack baseline for dispatch: a plain BullMQ queue and Worker (the given concurrency, default lock
// settings) whose processor runs job.data.command on job.data.machine over the raw ssh2 pool. No lanes, no agent.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { rawPool } from './raw-ssh2.mjs';

export async function rawStack(fleet, { name, concurrency, perMachine = 1 }) {
  const connection = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const prefix = `raw:{${name}}`;
  const queue = new Queue(name, { connection, prefix });
  const pool = await rawPool(fleet.machines, { perMachine });
  const index = new Map(fleet.machines.map((m, i) => [m.name, i]));
  const worker = new Worker(
    name,
    async (job) => {
      const code = await pool.exec(index.get(job.data.machine), job.data.command);
      if (code !== 0) throw new Error(`exit ${code}`);
      return code;
    },
    { connection: workerConnection, prefix, concurrency },
  );
  worker.on('error', () => {});
  await worker.waitUntilReady();
  return {
    queue,
    /** Adds jobs {machine, command} at `priority`, 1,000 per addBulk. */
    async addMany(jobs, priority) {
      for (let i = 0; i < jobs.length; i += 1000) {
        await queue.addBulk(jobs.slice(i, i + 1000).map((data) => ({ name: data.machine, data, opts: { priority } })));
      }
    },
    async close() {
      await worker.close(true);
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      pool.close();
      await Promise.all([connection.quit(), workerConnection.quit()]);
    },
  };
}
