// Source (b): what each rule kind looks at, cheaply (counts and small hashes, never a scan of the queue).
// A condition that holds yields one subject per thing it is about (the queue, the bridges, a machine).
import type { AlertRule } from '@rediacc/core';
import { liveBridges, readMachineStatuses, type TeamQueues } from '@rediacc/queue';
import type { Redis } from 'ioredis';

export interface Holding {
  subject: string;
  summary: string;
  /** When the condition started, when the source knows it (a machine's unreachableSince). */
  since?: number;
}

/** Reads shared by every rule of a team in one evaluation. */
export class TeamSnapshot {
  private pending: Promise<number> | undefined;
  private bridges: Promise<number> | undefined;
  private machines: Promise<Map<string, number>> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly queues: TeamQueues,
    readonly team: string,
  ) {}

  pendingTasks(): Promise<number> {
    this.pending ??= Promise.all(
      this.queues
        .lanes(this.team)
        .map(({ queue }) => queue.getJobCountByTypes('prioritized', 'waiting', 'delayed', 'waiting-children')),
    ).then((counts) => counts.reduce((a, b) => a + b, 0));
    return this.pending;
  }

  liveBridgeCount(): Promise<number> {
    this.bridges ??= liveBridges(this.redis, this.team).then((beats) => beats.length);
    return this.bridges;
  }

  /** Machine name → unreachableSince (ms) of the machines the bridges find unreachable (their status records). */
  unreachableMachines(): Promise<Map<string, number>> {
    this.machines ??= readMachineStatuses(this.redis, this.team).then((statuses) => {
      const down = new Map<string, number>();
      for (const [machine, status] of statuses) {
        if (status.unreachableSince !== null) down.set(machine, status.unreachableSince);
      }
      return down;
    });
    return this.machines;
  }
}

export async function holdingOf(rule: AlertRule, snapshot: TeamSnapshot): Promise<Holding[]> {
  switch (rule.kind) {
    case 'pending-above': {
      const pending = await snapshot.pendingTasks();
      const threshold = rule.threshold ?? 0;
      return pending > threshold
        ? [{ subject: 'queue', summary: `team ${rule.team} has ${pending} pending tasks, more than ${threshold}` }]
        : [];
    }
    case 'no-bridge': {
      const pending = await snapshot.pendingTasks();
      if (pending === 0 || (await snapshot.liveBridgeCount()) > 0) return [];
      return [{ subject: 'bridges', summary: `team ${rule.team} has ${pending} pending tasks and no live bridge` }];
    }
    case 'machine-unreachable': {
      const down = await snapshot.unreachableMachines();
      return [...down].map(([machine, since]) => ({
        subject: machine,
        summary: `machine ${machine} of team ${rule.team} is unreachable since ${new Date(since).toISOString()}`,
        since,
      }));
    }
  }
}
