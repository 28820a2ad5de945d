// The raw BullMQ + ssh2 stack (raw-bullmq.mjs: a plain Worker whose processor runs job.data.command over pooled
// ssh2 connections) in a process of its own, so its CPU time and what it sends can be read like a bridge's:
// node [--import ./counters.mjs] raw-stack-main.mjs '{"redisUrl":…,"machines":[…],"name":…,"concurrency":10}'
// Prints "ready" once the worker is up; SIGTERM closes it.
import { rawStack } from './raw-bullmq.mjs';

const args = JSON.parse(process.argv[2]);
const stack = await rawStack(
  { redis: { url: args.redisUrl }, machines: args.machines },
  { name: args.name, concurrency: args.concurrency ?? 10, perMachine: args.perMachine ?? 1 },
);
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  stack.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
