// A task claimed by hand, as a bridge's worker claims it: the job `task-1` added to a team's `tasks` queue and taken
// with the lock token `token-a` by a worker that never runs by itself. Queue and worker are closed by the harness.
import { teamPrefix } from '@rediacc/core';
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Harness } from './harness.js';

export async function claimByHand(h: Harness, redis: Redis, team: string): Promise<Job> {
  const queue = new Queue('tasks', { connection: redis, prefix: teamPrefix(team) });
  await queue.add('t', { n: 1 }, { jobId: 'task-1' });
  const worker = new Worker('tasks', null, { connection: redis, prefix: teamPrefix(team), autorun: false });
  h.own(async () => {
    await worker.close();
    await queue.close();
  });
  const job = await worker.getNextJob('token-a');
  if (!job) throw new Error('no job claimed');
  return job;
}
