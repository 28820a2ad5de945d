// Cancelling one task. PENDING: removed from the queue and kept as a tombstone (it never runs). Running, or
// pending with its run still going on a machine (handed back, or its bridge died): a cancel request that the
// bridge holding it (now or next) acts on by killing the run's process tree; then we wait for CANCELLED.
import { RdcError, type TaskStatus, type TaskView } from '@rediacc/core';
import { cancelPending, requestCancel } from '@rediacc/queue';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const cancelOptionsSchema = z
  .object({
    waitMs: z
      .number()
      .int()
      .min(0, 'waitMs must be 0 or more')
      .max(600_000, 'waitMs must be at most 600000 (10 minutes)')
      .default(10_000),
  })
  .strict();
export type CancelOptions = z.input<typeof cancelOptionsSchema>;

export interface CancelResult {
  taskId: string;
  /**
   * cancelled: now CANCELLED (a running command was killed on its machine); finished: it had ended, nothing to
   * cancel; requested: asked to stop, but no bridge acted on it within the wait (it will when a bridge holds the
   * task); unknown: no such task.
   */
  outcome: 'cancelled' | 'finished' | 'requested' | 'unknown';
  status: TaskStatus | null;
}

export interface CancelDeps {
  redis: Redis;
  /** The queue holding the job; none when only a tombstone is left. */
  queue: Queue | undefined;
  view: () => Promise<TaskView | undefined>;
  /** Resolves with the task once it has ended; rejects with RDC_TIMEOUT after `ms`. */
  wait: (ms: number) => Promise<TaskView>;
}

export async function cancelTask(
  deps: CancelDeps,
  team: string,
  taskId: string,
  waitMs: number,
): Promise<CancelResult> {
  const view = await deps.view();
  if (!view) return { taskId, outcome: 'unknown', status: null };
  if (view.status === 'COMPLETED' || view.status === 'FAILED' || view.status === 'CANCELLED') {
    return { taskId, outcome: 'finished', status: view.status };
  }
  if (
    view.status === 'PENDING' &&
    deps.queue &&
    (await cancelPending(deps.redis, deps.queue, team, taskId)) === 'cancelled'
  ) {
    return { taskId, outcome: 'cancelled', status: 'CANCELLED' };
  }
  await requestCancel(deps.redis, team, taskId);
  const ended = await deps.wait(waitMs).catch((error: unknown) => {
    if (error instanceof RdcError && error.code === 'RDC_TIMEOUT') return undefined;
    throw error;
  });
  if (!ended) return { taskId, outcome: 'requested', status: (await deps.view())?.status ?? null };
  return { taskId, outcome: ended.status === 'CANCELLED' ? 'cancelled' : 'finished', status: ended.status };
}
