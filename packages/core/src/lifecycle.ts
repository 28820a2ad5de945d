// The task lifecycle, derived from the BullMQ job (the one source of truth). ASSIGNED and PROCESSING are
// both BullMQ `active`; the bridge records which in the job's progress.
import { parseReason } from './errors.js';

export const TASK_STATUSES = ['PENDING', 'ASSIGNED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** BullMQ job states, as `job.getState()` names them. */
export const JOB_STATES = [
  'waiting',
  'prioritized',
  'delayed',
  'paused',
  'waiting-children',
  'active',
  'completed',
  'failed',
  'unknown',
] as const;
export type JobState = (typeof JOB_STATES)[number];

export type Phase = 'ASSIGNED' | 'PROCESSING';

export interface LifecycleSnapshot {
  state: JobState;
  /** The phase the bridge recorded in the job's progress; absent before a bridge touched it. */
  phase?: Phase | undefined;
  failedReason?: string | undefined;
  /** Set when a user cancelled the task (tombstone), whatever BullMQ did with the job. */
  cancelled?: boolean | undefined;
}

/** BullMQ states that a task in `status` may be in. */
export function jobStatesFor(status: TaskStatus): JobState[] {
  switch (status) {
    case 'PENDING':
      return ['prioritized', 'waiting', 'delayed', 'waiting-children'];
    case 'ASSIGNED':
    case 'PROCESSING':
      return ['active'];
    case 'COMPLETED':
      return ['completed'];
    case 'FAILED':
    case 'CANCELLED':
      return ['failed'];
    default:
      return assertNever(status);
  }
}

export function taskStatus(snapshot: LifecycleSnapshot): TaskStatus | undefined {
  if (snapshot.cancelled) return 'CANCELLED';
  switch (snapshot.state) {
    case 'waiting':
    case 'prioritized':
    case 'delayed':
    case 'paused':
    case 'waiting-children':
      return 'PENDING';
    case 'active':
      return snapshot.phase === 'PROCESSING' ? 'PROCESSING' : 'ASSIGNED';
    case 'completed':
      return 'COMPLETED';
    case 'failed':
      return snapshot.failedReason !== undefined && parseReason(snapshot.failedReason).code === 'RDC_CANCELLED'
        ? 'CANCELLED'
        : 'FAILED';
    case 'unknown':
      return undefined;
    default:
      return assertNever(snapshot.state);
  }
}

export function isTerminal(status: TaskStatus): boolean {
  return status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED';
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
