// Key and queue naming, in one place for every package (the Redis plumbing in queue, the ACL rules here). Every key of a team carries the `{team}` hash tag, so on Redis Cluster a team's
// queues, jobs and registry live on one shard. Hash tags go in BullMQ's prefix, never in ioredis keyPrefix.
//
// A team has one BullMQ queue per lane under the same prefix (see laneOf in @rediacc/core):
//   rdc:{team}:critical:…   P1–P2, served by bridges with reserved capacity on top of their batch size
//   rdc:{team}:tasks:…      P3–P5
// A task lives in the queue of its priority's lane for its whole life; its job id is its taskId.
import { type Lane, laneOf } from './priority.js';

export const KEY_ROOT = 'rdc';

/** BullMQ queue name of each lane. The normal lane keeps the name the single queue had ("tasks"). */
export const LANE_QUEUES: Readonly<Record<Lane, string>> = { critical: 'critical', normal: 'tasks' };

/** The one place that maps a task's priority to the queue that holds it. */
export function queueNameFor(priority: number): string {
  return LANE_QUEUES[laneOf(priority)];
}

/** BullMQ prefix of a team's queues: keys look like `rdc:{Production}:tasks:<id>`. */
export function teamPrefix(team: string): string {
  return `${KEY_ROOT}:{${team}}`;
}

export const registryKeys = {
  /** hash: team name → TeamRecord JSON */
  teams: `${KEY_ROOT}:teams`,
  /** hash: machine name → MachineRecord JSON, per team */
  machines: (team: string) => `${teamPrefix(team)}:machines`,
  /** hash: vault entry name → VaultRecord JSON (values sealed to the team's public key; see vault-records) */
  vault: (team: string) => `${teamPrefix(team)}:vault`,
  /** stream: alerts of tasks that failed for good with failureAction "alert" */
  alerts: (team: string) => `${teamPrefix(team)}:alerts`,
  /** hash: taskId → tombstone JSON of a task cancelled before it ran (BullMQ keeps no record of removed jobs) */
  cancelled: (team: string) => `${teamPrefix(team)}:cancelled`,
  /** zset: taskId by cancel time, to list tombstones newest first in pages */
  cancelledOrder: (team: string) => `${teamPrefix(team)}:cancelled:order`,
  /** string with expiry: a user asked to cancel this (running) task */
  cancelRequest: (team: string, taskId: string) => `${teamPrefix(team)}:cancel:${taskId}`,
  /** stream: live output chunks of a running task (expires; the result keeps the output) */
  output: (team: string, taskId: string) => `${teamPrefix(team)}:output:${taskId}`,
  /** pub/sub channel: task ids to cancel, heard by every bridge of the team */
  cancelChannel: (team: string) => `${teamPrefix(team)}:cancel`,
  /** zset: holder (taskId, or taskId:lockToken when fenced) → lease expiry (ms), the fleet-wide slots of a machine */
  machineSlots: (team: string, machine: string) => `${teamPrefix(team)}:machine-slots:${machine}`,
  /**
   * zset, expiring: `queue:taskId` → priority and creation time, the tasks parked (delayed) until a slot of the
   * machine frees; whoever frees one wakes the first of them
   */
  machineWaiters: (team: string, machine: string) => `${teamPrefix(team)}:machine-waiters:${machine}`,
  /** zset: taskId → its machine's place in the batch, the tasks of one fan-out batch (expires with the tasks) */
  batch: (team: string, batchId: string) => `${teamPrefix(team)}:batch:${batchId}`,
  /** string: BatchInfo JSON of a fan-out batch (command, size, options), expiring with its index */
  batchInfo: (team: string, batchId: string) => `${teamPrefix(team)}:batch-info:${batchId}`,
  /** zset: the lease semaphore of a batch's --max-parallel, laid out like machineSlots */
  batchSlots: (team: string, batchId: string) => `${teamPrefix(team)}:batch-slots:${batchId}`,
  /** zset, expiring: the tasks parked until a slot of the batch's --max-parallel frees, laid out like machineWaiters */
  batchWaiters: (team: string, batchId: string) => `${teamPrefix(team)}:batch-waiters:${batchId}`,
  /** string with expiry: the batch stopped (--stop-on-failure): the task id that failed; its other tasks never start */
  batchStop: (team: string, batchId: string) => `${teamPrefix(team)}:batch-stop:${batchId}`,
  /** hash: machine name → MachineStatus JSON (last sample, last SSH error), written by the bridges */
  machineStatus: (team: string) => `${teamPrefix(team)}:machine-status`,
  /**
   * stream, capped: the audit entries one Redis user appended for a team. One stream per user, so an ACL can let
   * each user append to its own stream only: the stream names who wrote it, and nobody can cut another's entries.
   */
  auditStream: (team: string, user: string) => `${teamPrefix(team)}:audit:${user}`,
  /** set: the users that have an audit stream in the team (append-only for every role but admin) */
  auditWriters: (team: string) => `${teamPrefix(team)}:audit-writers`,
  /** zset: bridge id → its last heartbeat (ms, the bridge's clock): which heartbeat keys to look at */
  bridges: (team: string) => `${teamPrefix(team)}:bridges`,
  /** string with expiry (PX): a live bridge's heartbeat JSON; gone once the bridge stops or stops beating */
  bridgeHeartbeat: (team: string, bridge: string) => `${teamPrefix(team)}:bridge:${bridge}`,
  /** hash: webhook id → WebhookRecord JSON of the team's webhooks (their secrets sealed to the team's key) */
  webhooks: (team: string) => `${teamPrefix(team)}:webhooks`,
  /** hash: rule id → AlertRule JSON */
  alertRules: (team: string) => `${teamPrefix(team)}:alert-rules`,
  /** hash: `rule|subject` → when its condition started to hold (ms), while it holds */
  alertSince: (team: string) => `${teamPrefix(team)}:alert-since`,
  /** hash: `rule|subject` → the firing alert (JSON), claimed with HSETNX by one engine, deleted when it resolves */
  alertState: (team: string) => `${teamPrefix(team)}:alert-state`,
  /** stream, capped: every alert event (firing, resolved) for `alert list` */
  alertLog: (team: string) => `${teamPrefix(team)}:alert-log`,
  /** hash: schedule name → ScheduleRecord JSON (its BullMQ job scheduler lives in the SCHEDULE_QUEUE) */
  schedules: (team: string) => `${teamPrefix(team)}:schedules`,
  /** hash: schedule name → task id of its last run (for the overlap policy and `schedule list`) */
  scheduleRuns: (team: string) => `${teamPrefix(team)}:schedule-runs`,
  /** string: the team's RetentionPolicy JSON (absent: DEFAULT_RETENTION) */
  retention: (team: string) => `${teamPrefix(team)}:retention`,
  /** stream, capped: finished tasks removed from the live queue (their inspect view as JSON), oldest first */
  archive: (team: string) => `${teamPrefix(team)}:archive`,
  /** hash: taskId → its createdAt (ms), while archived but not yet removed from the queue (see archive.ts) */
  archiveMarks: (team: string) => `${teamPrefix(team)}:archive:marks`,
  /** string with expiry: the bridge that archives the team now (one at a time) */
  archiveLease: (team: string) => `${teamPrefix(team)}:archive:lease`,
};

/** BullMQ queue (under the team's prefix) holding one job per webhook delivery: `rdc:{team}:alert-deliveries:…`. */
export const ALERT_DELIVERY_QUEUE = 'alert-deliveries';

/** BullMQ queue (under the team's prefix) of the schedules' job schedulers and their trigger jobs. */
export const SCHEDULE_QUEUE = 'schedules';

/** hash: webhook id → WebhookRecord JSON of webhooks that receive every team's alerts (unsigned; fleet admin). */
export const FLEET_WEBHOOKS_KEY = `${KEY_ROOT}:webhooks`;

/**
 * Fleet-level keys of the web console, outside every team's prefix: no team's ACL patterns reach them, so only a
 * fleet admin connection (the dashboard's, the CLI's `dashboard token`) can read or forge tokens and sessions.
 */
export const dashboardKeys = {
  /** hash: token id → DashboardToken JSON (SHA-256 of the token text, never the text) */
  tokens: `${KEY_ROOT}:dashboard:tokens`,
  /** string with expiry: a login session, keyed by the SHA-256 of its cookie value */
  session: (sessionHash: string) => `${KEY_ROOT}:dashboard:session:${sessionHash}`,
};

/** The team a key belongs to (`rdc:{team}:…`), or undefined for a key outside every team. */
export function teamOfKey(key: string): string | undefined {
  return /^rdc:\{([A-Za-z0-9._-]{1,64})\}:/.exec(key)?.[1];
}

/** Key of one task's job hash in a lane (BullMQ layout `prefix:queue:id`). */
export function taskKey(team: string, lane: Lane, taskId: string): string {
  return `${teamPrefix(team)}:${LANE_QUEUES[lane]}:${taskId}`;
}
