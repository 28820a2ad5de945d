// The bridge side of the per-machine limit: a task runs only while it holds one of its machine's
// fleet-wide slots (lease semaphore in @rediacc/queue). With none free, the task goes back to its queue
// for a moment, PENDING, without failing and without using a try; the lease is renewed while it runs
// and released when the run ends, whatever the outcome. The slot is held under the claim's lock token: a bridge that
// lost the task (frozen past its lock) can neither renew nor release the slot the task holds on the next bridge.
import type { Logger, MachineRecord } from '@rediacc/core';
import {
  acquireMachineSlot,
  fenceOf,
  LockLostError,
  type MachineSlotRef,
  putBack,
  releaseMachineSlot,
  renewIntervalMs,
  renewMachineSlot,
} from '@rediacc/queue';
import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';

export interface MachineSlotDeps {
  redis: Redis;
  machine: (team: string, name: string) => Promise<MachineRecord>;
  /** The bridge's limit (`--max-per-machine`); a machine's own maxConcurrent wins. None: no limit. */
  maxPerMachine: number | undefined;
  leaseMs: number;
  logger: Logger;
}

/** The limit that applies to a machine: its own, else the bridge's, else none. */
export function slotLimit(machineLimit: number | undefined, bridgeLimit: number | undefined): number | undefined {
  return machineLimit ?? bridgeLimit;
}

/** How long a task waits before trying for a slot again: short, and jittered so waiters do not move in step. */
export function slotRetryDelayMs(random: () => number = Math.random): number {
  return 100 + Math.floor(random() * 400);
}

/** Runs `run` while holding a slot of the job's machine, or puts the job back (DelayedError) when none is free. */
export async function withMachineSlot<T>(
  deps: MachineSlotDeps,
  job: Job,
  token: string | undefined,
  run: () => Promise<T>,
): Promise<T> {
  const target = targetOf(job.data);
  // Jobs that are not tasks, and tasks of unknown machines, go straight on: the processor fails them clearly.
  const record = target && (await deps.machine(target.team, target.machine).catch(() => undefined));
  const limit = record && slotLimit(record.maxConcurrent, deps.maxPerMachine);
  if (!target || limit === undefined || token === undefined) return run();

  const ref: MachineSlotRef = { ...target, holder: String(job.id), fence: fenceOf(job, token) };
  return holdSlot(deps, job, token, ref, limit, run);
}

/**
 * Runs `run` while holding one of `limit` slots of the lease semaphore `ref` names (a machine's, or a batch's with
 * `slotsKey`), renewing the lease as it runs; with none free the job goes back to its queue (DelayedError).
 */
export async function holdSlot<T>(
  deps: Omit<MachineSlotDeps, 'machine' | 'maxPerMachine'>,
  job: Job,
  token: string,
  ref: MachineSlotRef,
  limit: number,
  run: () => Promise<T>,
): Promise<T> {
  const what = ref.slotsKey === undefined ? 'machine slot' : 'batch slot';
  const log = deps.logger.child({ team: ref.team, machine: ref.machine, taskId: ref.holder });
  if (!(await acquireMachineSlot(deps.redis, ref, limit, deps.leaseMs))) {
    await putBack(deps.redis, job, token, slotRetryDelayMs());
    throw new DelayedError();
  }
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewMachineSlot(deps.redis, ref, deps.leaseMs).then(
      (kept) => {
        if (!kept) log.warn({ limit }, `${what} lease had expired while the task ran; taken again`);
      },
      (error: Error) => {
        if (!(error instanceof LockLostError)) {
          log.warn({ err: error.message }, `could not renew ${what} lease`);
          return;
        }
        // The task and its slot are another bridge's now: stop renewing (the lane hears of the loss from BullMQ).
        clearInterval(timer);
        log.warn(`the ${what} went to the bridge that holds the task now: no longer renewing it`);
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
      log.warn({ err: error.message }, `could not release ${what}; it frees when its lease expires`),
    );
  }
}

function targetOf(data: unknown): { team: string; machine: string } | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const { team, machine } = data as Record<string, unknown>;
  return typeof team === 'string' && typeof machine === 'string' ? { team, machine } : undefined;
}
