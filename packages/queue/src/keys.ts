// Key and queue naming. Every key of a team carries the `{team}` hash tag, so on Redis Cluster a team's
// queue, jobs and registry live on one shard. Hash tags go in BullMQ's prefix, never in ioredis keyPrefix.

export const KEY_ROOT = 'rdc';
export const TASK_QUEUE = 'tasks';

/** BullMQ prefix of a team's queue: keys look like `rdc:{Production}:tasks:<id>`. */
export function teamPrefix(team: string): string {
  return `${KEY_ROOT}:{${team}}`;
}

export const registryKeys = {
  /** hash: team name → TeamRecord JSON */
  teams: `${KEY_ROOT}:teams`,
  /** hash: machine name → MachineRecord JSON, per team */
  machines: (team: string) => `${teamPrefix(team)}:machines`,
  /** stream: alerts of tasks that failed for good with failureAction "alert" */
  alerts: (team: string) => `${teamPrefix(team)}:alerts`,
  /** hash: taskId → tombstone JSON of a task cancelled before it ran (BullMQ keeps no record of removed jobs) */
  cancelled: (team: string) => `${teamPrefix(team)}:cancelled`,
  /** zset: taskId by cancel time, to list tombstones newest first in pages */
  cancelledOrder: (team: string) => `${teamPrefix(team)}:cancelled:order`,
  /** string with expiry: a user asked to cancel this (running) task */
  cancelRequest: (team: string, taskId: string) => `${teamPrefix(team)}:cancel:${taskId}`,
  /** pub/sub channel: task ids to cancel, heard by every bridge of the team */
  cancelChannel: (team: string) => `${teamPrefix(team)}:cancel`,
};

/** Key of one task's job hash (BullMQ layout `prefix:queue:id`). */
export function taskKey(team: string, taskId: string): string {
  return `${teamPrefix(team)}:${TASK_QUEUE}:${taskId}`;
}
