// The bridge side of fan-out batches, around the machine slot: a task of a batch with --max-parallel N runs only while
// it holds one of the batch's N fleet-wide slots (the machine slots' lease semaphore, keyed by the batch), and waits
// PENDING otherwise; a task of a batch stopped by --stop-on-failure never starts and ends CANCELLED; and the first
// task of such a batch to fail for good stops it. The batch slot is held around the run, outside the machine slot the
// run's claim takes (run/lifecycle.ts), with the same fencing: a bridge that lost the task can neither renew nor
// release it.
import { batchTagSchema, type Logger, parseReason, RdcError, registryKeys } from '@rediacc/core';
import {
  acquireMachineSlot,
  batchStoppedBy,
  fenceOf,
  LockLostError,
  type MachineSlotRef,
  putBack,
  releaseMachineSlot,
  renewIntervalMs,
  renewMachineSlot,
  stopBatch,
} from '@rediacc/queue';
import { DelayedError, type Job, UnrecoverableError, WaitingError } from 'bullmq';
import type { Redis } from 'ioredis';

export interface BatchGateDeps {
  redis: Redis;
  /** The batch slot's lease (the machine slots' `machineSlotLeaseMs`). */
  leaseMs: number;
  logger: Logger;
}

/** Runs `run` under the job's batch rules; a job outside any batch goes straight on. */
export async function withBatchGate<T>(
  deps: BatchGateDeps,
  job: Job,
  token: string | undefined,
  run: () => Promise<T>,
): Promise<T> {
  const data = job.data as { team?: unknown; machine?: unknown; batch?: unknown } | null;
  const parsed = batchTagSchema.safeParse(data?.batch);
  if (!parsed.success || typeof data?.team !== 'string' || typeof data.machine !== 'string') return run();
  const batch = parsed.data;
  const team = data.team;
  const taskId = String(job.id);
  // Checked again once a slot is held: the task that stopped the batch may have released the slot just now.
  const start = async () => {
    if (batch.stopOnFailure) await refuseIfStopped(deps, team, batch.id, taskId);
    return batch.stopOnFailure ? stopOnFinalFailure(deps, job, team, batch.id, run) : run();
  };
  if (batch.maxParallel === undefined || token === undefined) return start();
  if (batch.stopOnFailure) await refuseIfStopped(deps, team, batch.id, taskId);
  const ref: MachineSlotRef = {
    team,
    machine: data.machine,
    holder: taskId,
    fence: fenceOf(job, token),
    slotsKey: registryKeys.batchSlots(team, batch.id),
    waitersKey: registryKeys.batchWaiters(team, batch.id),
  };
  return holdBatchSlot(deps, job, token, ref, batch.maxParallel, start);
}

/** A task of a batch stopped by another's failure ends CANCELLED without starting. */
async function refuseIfStopped(deps: BatchGateDeps, team: string, batchId: string, taskId: string): Promise<void> {
  const stoppedBy = await batchStoppedBy(deps.redis, team, batchId);
  if (stoppedBy === undefined || stoppedBy === taskId) return;
  throw new UnrecoverableError(
    new RdcError(
      'RDC_CANCELLED',
      `not started: task ${stoppedBy} of batch ${batchId} failed and the batch stops on failure`,
    ).toReason(),
  );
}

async function stopOnFinalFailure<T>(
  deps: BatchGateDeps,
  job: Job,
  team: string,
  batchId: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isFinalFailure(error, job)) {
      const first = await stopBatch(deps.redis, team, batchId, String(job.id));
      if (first) {
        deps.logger.warn(
          { team, taskId: String(job.id), batchId },
          'task failed: its batch stops on failure, the tasks not started yet are cancelled',
        );
      }
    }
    throw error;
  }
}

/** A failure BullMQ will not retry, other than a cancel: the task ends FAILED with it. */
export function isFinalFailure(error: unknown, job: Pick<Job, 'attemptsMade' | 'opts'>): boolean {
  if (!(error instanceof Error) || error instanceof DelayedError || error instanceof WaitingError) return false;
  if (error.name === 'LockLostError') return false;
  if (parseReason(error.message).code === 'RDC_CANCELLED') return false;
  return error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** A short, jittered wait before a task tries for a batch slot again, so waiters do not move in step. */
function retryDelayMs(): number {
  return 100 + Math.floor(Math.random() * 400);
}

/**
 * Runs `run` while holding one of `limit` slots of the batch's lease semaphore, renewing the lease as it runs; with
 * none free the job goes back to its queue, PENDING and its try uncounted (DelayedError).
 */
async function holdBatchSlot<T>(
  deps: BatchGateDeps,
  job: Job,
  token: string,
  ref: MachineSlotRef,
  limit: number,
  run: () => Promise<T>,
): Promise<T> {
  const log = deps.logger.child({ team: ref.team, machine: ref.machine, taskId: ref.holder });
  if (!(await acquireMachineSlot(deps.redis, ref, limit, deps.leaseMs))) {
    await putBack(deps.redis, job, token, retryDelayMs());
    throw new DelayedError();
  }
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewMachineSlot(deps.redis, ref, deps.leaseMs).then(
      (kept) => {
        if (!kept) log.warn({ limit }, 'batch slot lease had expired while the task ran; taken again');
      },
      (error: Error) => {
        if (!(error instanceof LockLostError)) {
          log.warn({ err: error.message }, 'could not renew batch slot lease');
          return;
        }
        // The task and its slot are another bridge's now: stop renewing (the lane hears of the loss from BullMQ).
        clearInterval(timer);
        log.warn('the batch slot went to the bridge that holds the task now: no longer renewing it');
      },
    );
  }, renewIntervalMs(deps.leaseMs));
  try {
    return await run();
  } finally {
    clearInterval(timer);
    // A renewal still in flight would re-add the lease after the release.
    await renewing;
    await releaseMachineSlot(deps.redis, ref).catch((error: Error) =>
      log.warn({ err: error.message }, 'could not release batch slot; it frees when its lease expires'),
    );
  }
}
