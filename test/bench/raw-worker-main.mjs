// A plain BullMQ worker in a process of its own, for the crash-recovery baseline: SIGKILL it and see how soon
// another one runs the job (BullMQ restarts it; it cannot re-attach). Prints "ready", then "start ID" each time
// its processor begins a job; a job holds its slot until job.data.stopFile exists.
// node raw-worker-main.mjs '{"redisUrl":…,"queue":…,"prefix":…,"lockDuration":…,"stalledInterval":…}'
import { existsSync } from 'node:fs';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const args = JSON.parse(process.argv[2]);
const connection = new Redis(args.redisUrl, { maxRetriesPerRequest: null });
const worker = new Worker(
  args.queue,
  async (job) => {
    process.stdout.write(`start ${job.id}\n`);
    while (!existsSync(job.data.stopFile)) await new Promise((resolve) => setTimeout(resolve, 100));
  },
  {
    connection,
    prefix: args.prefix,
    concurrency: 4,
    ...(args.lockDuration ? { lockDuration: args.lockDuration } : {}),
    ...(args.stalledInterval ? { stalledInterval: args.stalledInterval } : {}),
  },
);
worker.on('error', () => {});
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.once('SIGTERM', () => worker.close().then(() => process.exit(0)));
