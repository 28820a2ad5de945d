// Why a bridge stops following a run: the reason it gives BullMQ's worker.cancelJob, which BullMQ hands the
// processor as its AbortSignal's reason. Sent and read back only here, as one typed union, never a loose string.
import type { Worker } from 'bullmq';

export const STOP_REASONS = ['cancel', 'kill', 'handback', 'lock-lost'] as const;

/**
 * cancel: a user cancelled the task (the run is killed). kill: shutdown with --on-shutdown kill. handback: shutdown
 * with hand-back (the run goes on; the next bridge re-attaches). lock-lost: another bridge may hold the task now
 * (the run goes on; this bridge writes nothing more for it).
 */
export type StopReason = (typeof STOP_REASONS)[number];

/** Stops that let go of the run, which keeps running on the machine, instead of killing it. */
export function letsGo(reason: StopReason | undefined): reason is 'handback' | 'lock-lost' {
  return reason === 'handback' || reason === 'lock-lost';
}

/** The stop reason of an aborted signal; an abort for any other reason (BullMQ's own) counts as a cancel. */
export function stopReasonOf(signal: AbortSignal | undefined): StopReason | undefined {
  if (!signal?.aborted) return undefined;
  const reason: unknown = signal.reason;
  return STOP_REASONS.find((known) => known === reason) ?? 'cancel';
}

/** Stops one task the worker is processing; false when it holds no such task. */
export function stopTask(worker: Worker, taskId: string, reason: StopReason): boolean {
  return worker.cancelJob(taskId, reason);
}

/** Stops every task the worker is processing. */
export function stopAllTasks(worker: Worker, reason: StopReason): void {
  worker.cancelAllJobs(reason);
}
