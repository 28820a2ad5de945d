// What a bridge does with one claimed job, as BullMQ's processor: parse its data once (every later step gets that
// parsed value), run one try of the task (task-run.ts), and hand BullMQ its outcome: a result (COMPLETED), a
// failure (retried while retries remain, UnrecoverableError when not worth retrying: a cancel, bad data), or
// WaitingError / DelayedError for a job handed back or put back. BullMQ's AbortSignal (worker.cancelJob) becomes
// the try's typed stop here, and only here.
// Every write is fenced by the claim's lock token (lifecycle.ts): a bridge that lost the task (frozen past its lock
// while another took it over) writes nothing more, starts nothing, and leaves the run to the other.
import { isRdcError, type JobData, RdcError, type RunResult, readJobData, taskIdSchema } from '@rediacc/core';
import { jobOrigin, LockLostError } from '@rediacc/queue';
import { DelayedError, type Job, UnrecoverableError, WaitingError } from 'bullmq';
import { stopReasonOf } from './stop-reason.js';
import { TaskRun, type TaskRunDeps } from './task-run.js';

export type { AuditFn } from './task-run.js';

export interface ProcessorDeps extends TaskRunDeps {
  /** Task ids this bridge holds right now, with their team (for the periodic cancel check). */
  held: Map<string, string>;
}

/** Each job's data as its processor parsed it, for the steps BullMQ runs after it (the retry's backoff). */
const parsed = new WeakMap<Job, JobData>();

/** The task data of a job this bridge processed (parsed once, by its processor); undefined for any other. */
export function taskDataOf(job: Job | undefined): JobData | undefined {
  return job && parsed.get(job);
}

export function taskProcessor(deps: ProcessorDeps) {
  // Three parameters: BullMQ passes an AbortSignal only to processors that declare it.
  return async function processTask(job: Job, token?: string, signal?: AbortSignal): Promise<RunResult> {
    const data = validJobData(job);
    parsed.set(job, data);
    const taskId = String(job.id);
    if (token === undefined) throw new UnrecoverableError(`RDC_INTERNAL: job ${taskId} was handed over without a lock`);
    const run = new TaskRun(deps, job, token, data);
    const onAbort = () => run.stop(stopReasonOf(signal) ?? 'cancel');
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted) onAbort();
    deps.held.set(taskId, data.team);
    try {
      return await run.run();
    } catch (error) {
      if (
        error instanceof WaitingError ||
        error instanceof UnrecoverableError ||
        error instanceof DelayedError ||
        error instanceof LockLostError
      ) {
        throw error;
      }
      const rdc = isRdcError(error)
        ? error
        : new RdcError('RDC_INTERNAL', String(error), { cause: error, retryable: true });
      if (rdc.code === 'RDC_HOST_KEY_MISMATCH') {
        // Someone may be intercepting the connection: loud, and nothing was run. (Audit: see the lead's wiring.)
        run.logger.error({ code: rdc.code, err: rdc.message }, 'host key mismatch: refusing to run the task');
      } else run.logger.warn({ code: rdc.code, err: rdc.message }, 'task try failed');
      throw rdc.retryable ? new Error(rdc.toReason()) : new UnrecoverableError(rdc.toReason());
    } finally {
      signal?.removeEventListener('abort', onAbort);
      deps.held.delete(taskId);
    }
  };
}

function validJobData(job: Job): JobData {
  const parsed = readJobData(job.data, jobOrigin(job));
  if (!parsed.success) {
    throw new UnrecoverableError(
      new RdcError(
        'RDC_JOB_DATA_INVALID',
        `job ${job.id} is not a rediacc task: ${parsed.error.issues[0]?.message}`,
      ).toReason(),
    );
  }
  if (!taskIdSchema.safeParse(String(job.id)).success) {
    throw new UnrecoverableError(
      new RdcError('RDC_JOB_DATA_INVALID', `job id ${JSON.stringify(job.id)} is not a rediacc task id`).toReason(),
    );
  }
  return parsed.data;
}
