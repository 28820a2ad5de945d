// Turns validated specs into BullMQ job entries: job data (vaultData sealed to the team's public key,
// never stored in plaintext) and options from the priority and retry policy. The entry's data has every field;
// what goes into Redis is its version-2 form (core's storedJobData, written by task-add.ts).
import {
  JOB_DATA_VERSION,
  type JobData,
  type JobOrigin,
  jobOptionsFor,
  laneOf,
  RdcError,
  readJobData,
  seal,
  shapeOf,
  type TaskSpec,
  type TeamRecord,
} from '@rediacc/core';
import type { JobsOptions } from 'bullmq';
import type { AuditRecord } from './audit-trail.js';
import { teamPublicKey } from './vault-api.js';

export interface TaskEntry {
  name: string;
  data: JobData;
  opts: JobsOptions & { jobId: string };
}

export function taskEntry(spec: TaskSpec, taskId: string, team: TeamRecord): TaskEntry {
  const data: JobData = {
    v: JOB_DATA_VERSION,
    team: spec.team,
    machine: spec.machine,
    command: spec.command,
    priority: spec.priority,
    maxRetries: spec.maxRetries,
    retryDelay: spec.retryDelay,
    backoff: spec.backoff,
    failureAction: spec.failureAction,
  };
  if (spec.maxRetryDelay !== undefined) data.maxRetryDelay = spec.maxRetryDelay;
  if (spec.timeout !== undefined) data.timeout = spec.timeout;
  if (spec.runOnce) data.runOnce = true;
  if (spec.vaultData !== undefined) {
    data.vault = seal(JSON.stringify(spec.vaultData), teamPublicKey(team));
    data.vaultShape = shapeOf(spec.vaultData);
  }
  if (spec.secrets !== undefined && spec.secrets.length > 0) data.secrets = spec.secrets;
  return {
    name: spec.machine,
    data,
    // No removeOnComplete/removeOnFail: unset, BullMQ keeps every finished job (as `false` did; the bridges'
    // workers set no retention of their own), and the bridges' archiver appends each finished task to the team's
    // archive, then removes it (retention.ts). No keepLogs: tasks write no BullMQ job logs.
    opts: jobOptionsFor(spec, taskId),
  };
}

/**
 * Whether a stored job is the same task as a new create with the same taskId (idempotent retry). `stored` is the
 * job's data of either version, read with the job's origin (the queue's jobOrigin).
 */
export function sameTask(stored: unknown, origin: Partial<JobOrigin>, entry: TaskEntry): boolean {
  const read = readJobData(stored, origin);
  if (!read.success) return false;
  const s = read.data;
  const d = entry.data;
  return (
    s.team === d.team &&
    s.machine === d.machine &&
    s.command === d.command &&
    s.priority === d.priority &&
    s.maxRetries === d.maxRetries &&
    s.retryDelay === d.retryDelay &&
    s.backoff === d.backoff &&
    s.maxRetryDelay === d.maxRetryDelay &&
    s.failureAction === d.failureAction &&
    s.timeout === d.timeout &&
    (s.runOnce ?? false) === (d.runOnce ?? false) &&
    JSON.stringify(s.vaultShape) === JSON.stringify(d.vaultShape) &&
    JSON.stringify(s.secrets ?? []) === JSON.stringify(d.secrets ?? [])
  );
}

export interface CreatedTask {
  taskId: string;
  team: string;
  machine: string;
  priority: number;
  /** false when a task with this taskId already existed (idempotent create). */
  created: boolean;
}

export function createRecord(task: CreatedTask): AuditRecord {
  return {
    team: task.team,
    action: 'task.create',
    target: task.taskId,
    outcome: 'ok',
    detail: { machine: task.machine, priority: task.priority, created: task.created },
  };
}

export function twinConflict(entry: TaskEntry): RdcError {
  return new RdcError(
    'RDC_TASK_ID_CONFLICT',
    `taskId ${entry.opts.jobId} was created at the same time with another priority; it names one task`,
  );
}

export function created(entry: TaskEntry, isNew: boolean): CreatedTask {
  return {
    taskId: entry.opts.jobId,
    team: entry.data.team,
    machine: entry.data.machine,
    priority: entry.data.priority,
    created: isNew,
  };
}

/** Entries grouped by the queue they go to (team and lane): one addBulk round trip per group. */
export function groupByQueue(entries: TaskEntry[]): { team: string; priority: number; entries: TaskEntry[] }[] {
  const groups = new Map<string, { team: string; priority: number; entries: TaskEntry[] }>();
  for (const entry of entries) {
    const key = `${laneOf(entry.data.priority)}/${entry.data.team}`;
    const group = groups.get(key) ?? { team: entry.data.team, priority: entry.data.priority, entries: [] };
    group.entries.push(entry);
    groups.set(key, group);
  }
  return [...groups.values()];
}
