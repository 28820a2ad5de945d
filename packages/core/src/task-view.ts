// The task as users see it (`inspect queue --json`, SDK `tasks.inspect`): the docs' field names,
// built from a plain snapshot of the BullMQ job so it stays pure and exhaustively testable.
import { parseReason } from './errors.js';
import { isTerminal, type JobState, type TaskStatus, taskStatus } from './lifecycle.js';
import { retriesRemaining } from './priority.js';
import {
  type JobData,
  type JobOrigin,
  progressSchema,
  type RunOutcome,
  type RunResult,
  readJobData,
  runResultSchema,
} from './task-record.js';

/** The parts of a BullMQ job a view needs, copied out so this module needs no Redis. */
export interface JobSnapshot {
  id: string;
  state: JobState;
  data: unknown;
  /** The job's team, name (machine) and priority: what version-2 job data leaves out (readJobData). */
  origin?: Partial<JobOrigin> | undefined;
  progress: unknown;
  returnvalue: unknown;
  failedReason?: string | undefined;
  attemptsStarted: number;
  timestamp: number;
  processedOn?: number | undefined;
  finishedOn?: number | undefined;
  /** Next try time for a delayed (retrying) job. */
  delayUntil?: number | undefined;
  cancelled?: boolean | undefined;
}

export interface TaskView {
  taskId: string;
  status: TaskStatus;
  team: string;
  machine: string;
  command: string;
  priority: number;
  /** Retries remaining (the docs' meaning); 0 once the task failed for good, even with retries unused. */
  retryCount: number;
  /** Retries already used: tries started after the first (attempts − 1, at most maxRetries). */
  retriesUsed: number;
  maxRetries: number;
  retryDelay: number;
  backoff: JobData['backoff'];
  /** Ceiling of exponential backoff in seconds; null: the default (DEFAULT_MAX_RETRY_DELAY_SECONDS). */
  maxRetryDelay: number | null;
  failureAction: JobData['failureAction'];
  timeout: number | null;
  runOnce: boolean;
  attempts: number;
  vaultData: unknown;
  /** Vault secrets the command gets: "ENV=NAME" (or "NAME" when they are alike); never values. */
  secrets: string[];
  output: string | null;
  outputTruncated: boolean;
  error: string | null;
  errorCode: string | null;
  exitCode: number | null;
  signal: string | null;
  bridge: string | null;
  createdAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  nextAttemptAt: string | null;
  /** The fan-out batch the task belongs to (`inspect batch ID`), or null. */
  batchId: string | null;
  /** The schedule whose run this task is; null for a task created directly. */
  scheduleName: string | null;
}

export function toTaskView(job: JobSnapshot): TaskView | undefined {
  const data = readJobData(job.data, job.origin);
  const progress = progressSchema.safeParse(job.progress);
  const phase = progress.success ? progress.data.phase : undefined;
  const status = taskStatus({ state: job.state, phase, failedReason: job.failedReason, cancelled: job.cancelled });
  if (status === undefined) return undefined;

  const completed = status === 'COMPLETED' ? runResultSchema.safeParse(job.returnvalue) : undefined;
  const run: RunResult | undefined = completed?.success
    ? completed.data
    : progress.success
      ? progress.data.result
      : undefined;
  const reason = job.failedReason ? parseReason(job.failedReason) : undefined;
  const failed = status === 'FAILED' || status === 'CANCELLED';
  // A PENDING job that failed before (waiting for a retry) still shows its last error.
  const showError = failed || (status === 'PENDING' && reason !== undefined);
  const d = data.success ? data.data : undefined;

  return {
    taskId: job.id,
    status,
    team: d?.team ?? '?',
    machine: d?.machine ?? '?',
    command: d?.command ?? '?',
    priority: d?.priority ?? 0,
    retryCount: retriesRemaining(d?.maxRetries ?? 0, job.attemptsStarted, failed),
    retriesUsed: Math.min(d?.maxRetries ?? 0, Math.max(0, job.attemptsStarted - 1)),
    maxRetries: d?.maxRetries ?? 0,
    retryDelay: d?.retryDelay ?? 0,
    backoff: d?.backoff ?? 'fixed',
    maxRetryDelay: d?.maxRetryDelay ?? null,
    failureAction: d?.failureAction ?? 'none',
    timeout: d?.timeout ?? null,
    runOnce: d?.runOnce ?? false,
    attempts: job.attemptsStarted,
    vaultData: d?.vaultShape ?? null,
    secrets: (d?.secrets ?? []).map((s) => (s.env === s.name ? s.name : `${s.env}=${s.name}`)),
    output: run?.output ?? null,
    outputTruncated: run?.truncated ?? false,
    error: showError && reason ? reason.message : null,
    errorCode: showError && reason ? (reason.code ?? null) : null,
    exitCode: run ? exitCodeOf(run.ending) : null,
    signal: run?.ending.outcome === 'signalled' ? run.ending.signal : null,
    bridge: progress.success ? (progress.data.bridge ?? null) : null,
    createdAt: iso(job.timestamp),
    startedAt: iso(run?.startedAt ?? (progress.success ? progress.data.startedAt : undefined)),
    completedAt: isTerminal(status) ? iso(job.finishedOn) : null,
    nextAttemptAt: job.state === 'delayed' && job.delayUntil ? iso(job.delayUntil) : null,
    batchId: d?.batch?.id ?? null,
    scheduleName: d?.scheduleName ?? null,
  };
}

function exitCodeOf(ending: RunOutcome): number | null {
  return ending.outcome === 'exited' ? ending.exitCode : null;
}

function iso(ms: number | undefined): string | null {
  if (ms === undefined || ms === null) return null;
  // Times come from Redis: one out of Date's range (or NaN) must not make a whole listing throw.
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
