// A team's BullMQ queues, one per lane, all under the team's hash-tagged prefix.
import { LANE_QUEUES, LANES, type Lane, laneOf, teamPrefix } from '@rediacc/core';
import { Job, type JobJson, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * A task's job as the producer adds it (core's TaskJob is what it is made from: the add's data and options), stored
 * compact. Its id is the job's key, and its creation time (chosen up front: JobsOptions.timestamp, as the machine
 * index entry goes out beside the add with it) BullMQ keeps as the job's `timestamp` field: neither is stored a
 * second time inside the job's options, which would cost a pending task 58 bytes of Redis memory (its job hash 723
 * bytes instead of 665, measured with a 100-byte command). Only what is stored changes: the job in memory keeps
 * both, so BullMQ's checks of the id run as usual, and a job read back is not copied.
 */
class CompactTaskJob extends Job {
  override asJSON(): JobJson {
    const json = super.asJSON();
    const { timestamp: _, jobId: __, ...opts } = json.opts;
    json.opts = opts;
    return json;
  }
}

/** A lane's queue: its jobs are CompactTaskJobs (BullMQ's extension point for the class a queue makes jobs with). */
class TaskQueue extends Queue {
  protected override get Job(): typeof Job {
    // Job's construct signature is generic (data, name and result types), which a subclass cannot restate.
    return CompactTaskJob as unknown as typeof Job;
  }
}

export function openTeamQueue(connection: Redis, team: string, lane: Lane): Queue {
  // skipMetasUpdate: opening a queue would HSET its meta hash, which a read-only (viewer) user may not, and every
  // refusal lands in ACL LOG. BullMQ's add scripts set the one meta field they need (the events cap) themselves.
  const queue = new TaskQueue(LANE_QUEUES[lane], { connection, prefix: teamPrefix(team), skipMetasUpdate: true });
  queue.on('error', () => {});
  return queue;
}

export interface LaneQueue {
  lane: Lane;
  queue: Queue;
}

/** Queues opened on demand and closed together. */
export class TeamQueues {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly connection: Redis) {}

  get(team: string, lane: Lane): Queue {
    const key = `${lane}/${team}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = openTeamQueue(this.connection, team, lane);
      this.queues.set(key, queue);
    }
    return queue;
  }

  /** The queue a task of `priority` goes to. */
  forPriority(team: string, priority: number): Queue {
    return this.get(team, laneOf(priority));
  }

  /** Every lane's queue of a team, critical first. */
  lanes(team: string): LaneQueue[] {
    return LANES.map((lane) => ({ lane, queue: this.get(team, lane) }));
  }

  async close(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((q) => q.close()));
  }
}
