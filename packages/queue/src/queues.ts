// One BullMQ queue per team, prefixed with the team's hash tag.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { TASK_QUEUE, teamPrefix } from './keys.js';

export function openTeamQueue(connection: Redis, team: string): Queue {
  const queue = new Queue(TASK_QUEUE, { connection, prefix: teamPrefix(team) });
  queue.on('error', () => {});
  return queue;
}

/** Queues opened on demand and closed together. */
export class TeamQueues {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly connection: Redis) {}

  get(team: string): Queue {
    let queue = this.queues.get(team);
    if (!queue) {
      queue = openTeamQueue(this.connection, team);
      this.queues.set(team, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((q) => q.close()));
  }
}
