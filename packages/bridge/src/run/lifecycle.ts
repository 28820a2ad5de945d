// Every write a bridge makes for a task it claimed, in one place, each fenced by the claim's lock token
// (@rediacc/queue fencing.ts, task-transitions.ts): the claim (a fleet-wide slot of the machine, ASSIGNED, and for a
// task claimed before its cancel flag and where its live output stopped: one round trip), PROCESSING, live output,
// the slot's lease renewal, the end of a try (slot release, lock check and a failed try's result: one round trip),
// and handing the job back (put back for a moment, or to wait for the next bridge). A bridge that lost the task
// (frozen past its lock while another took it over) gets LockLostError from any of them and writes nothing more;
// it can neither renew nor release the slot the task holds on the next bridge (members are `taskId:token`).
// The claim also tells how long the lock had left: until a safe part of that has passed on this process's monotonic
// clock, no other bridge can hold the task (BullMQ hands a job on only once its lock has expired, and only its
// holder removes it), so the checks before the start and before the result need no round trip then.
import type { JobData, Logger, Progress } from '@rediacc/core';
import {
  appendOutputFenced,
  type ClaimedTask,
  claimTask,
  endTry,
  fenceOf,
  holdsLock,
  LockLostError,
  putBack,
  renewIntervalMs,
  renewMachineSlot,
  writeProgress,
} from '@rediacc/queue';
import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';

/** The limit that applies to a machine: its own, else the bridge's, else none. */
export function slotLimit(machineLimit: number | undefined, bridgeLimit: number | undefined): number | undefined {
  return machineLimit ?? bridgeLimit;
}

/** How long a task waits before trying for a slot again: short, and jittered so waiters do not move in step. */
export function slotRetryDelayMs(random: () => number = Math.random): number {
  return 100 + Math.floor(random() * 400);
}

/**
 * The share of the lock's remaining time the claim leans on: the rest absorbs a drift between Redis's clock and
 * ours. A bridge frozen past it (SIGSTOP, a GC pause) reads the lock again, as before.
 */
const LEASE_SHARE = 2 / 3;

/** Until when (performance.now()) a claim sent at `sentAt` knows the lock is its own; `lockTtlMs` 0: never. */
export function leaseUntil(sentAt: number, lockTtlMs: number): number {
  return lockTtlMs > 0 ? sentAt + lockTtlMs * LEASE_SHARE : 0;
}

/** Hands a claimed job that never started back to its queue (the bridge is stopping): PENDING, its try uncounted. */
export async function putBackUnstarted(redis: Redis, job: Job, token: string | undefined): Promise<void> {
  if (token !== undefined) await putBack(redis, job, token, 0);
}

export interface Claimed {
  /** A user asked to cancel the task (read only for a task claimed before). */
  cancelRequested: boolean;
  /** Raw byte offset where an earlier holder stopped streaming live output (0 when none). */
  outputEnd: number;
}

export class TaskLifecycle {
  private readonly task: ClaimedTask;
  private slotHeld = false;
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> = Promise.resolve();
  /** Until then (performance.now()) the claim's lock is known to be ours without reading it (leaseUntil). */
  private leaseEnd = 0;
  /** A claim sent without waiting for its answer (claimAlongside): every later write waits for it first. */
  private claiming: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly job: Job,
    private readonly token: string,
    data: Pick<JobData, 'team' | 'machine'>,
    private readonly log: Logger,
    /** The lock BullMQ set when it handed the job over (the workers' lockDuration). */
    private readonly lockDurationMs: number,
  ) {
    this.task = { job, fence: fenceOf(job, token), team: data.team, machine: data.machine };
  }

  /**
   * A first claim with no slot to take: nothing in its answer decides what comes next, so it goes out without the
   * run waiting for it (the command starts meanwhile). Until it answers, the lease is the fetch's own: BullMQ set
   * the lock for lockDuration in the script that handed the job over, sent at `job.processedOn` (this process's
   * clock). Every later write waits for the claim first, and fails as it did (LockLostError).
   */
  claimAlongside(progress: Progress): void {
    const fetchedAt = this.job.processedOn;
    if (fetchedAt !== undefined) {
      this.leaseEnd = leaseUntil(performance.now() - Math.max(0, Date.now() - fetchedAt), this.lockDurationMs);
    }
    const sentAt = performance.now();
    this.job.progress = progress;
    this.claiming = claimTask(this.redis, this.task, undefined, progress, false).then((reply) => {
      if (reply.slot) this.leaseEnd = Math.max(this.leaseEnd, leaseUntil(sentAt, reply.lockTtlMs));
    });
    this.claiming.catch(() => {}); // awaited by the next write
  }

  /**
   * Takes a slot of the machine (with `slot`: the limit and lease) and records `progress` (ASSIGNED), in one round
   * trip. No free slot: the job goes back to its queue for a moment, PENDING, its try uncounted (DelayedError).
   */
  async claim(
    slot: { limit: number; leaseMs: number } | undefined,
    progress: Progress,
    claimedBefore: boolean,
  ): Promise<Claimed> {
    // Taken before the request leaves: the lease counts from a moment no later than Redis's reading of the lock.
    const sentAt = performance.now();
    const reply = await claimTask(this.redis, this.task, slot, progress, claimedBefore);
    if (!reply.slot) {
      await this.job.moveToDelayed(Date.now() + slotRetryDelayMs(), this.token);
      throw new DelayedError();
    }
    this.job.progress = progress;
    this.leaseEnd = leaseUntil(sentAt, reply.lockTtlMs);
    if (slot) {
      this.slotHeld = true;
      this.renewTimer = setInterval(() => this.renew(slot), renewIntervalMs(slot.leaseMs));
    }
    return { cancelRequested: reply.cancelRequested, outputEnd: reply.outputEnd };
  }

  /** PROCESSING (or a progress of the same try): LockLostError when the task is another bridge's now. */
  async progress(progress: Progress): Promise<void> {
    await this.claiming;
    return writeProgress(this.redis, this.job, this.task.fence, progress);
  }

  /**
   * Before a step that writes nothing to Redis itself (starting the command, handing BullMQ the result): no round
   * trip while the claim's lease lasts, else a read of the lock.
   */
  async assertHeld(what: string): Promise<void> {
    if (performance.now() < this.leaseEnd) return;
    if (!(await holdsLock(this.redis, this.task.fence))) throw new LockLostError(what);
  }

  /** Masked live output from raw byte `offset` (standing for the raw output up to `rawEnd`). */
  async output(offset: number, chunk: Buffer, rawEnd: number): Promise<void> {
    await this.claiming;
    return appendOutputFenced(this.redis, this.task.fence, this.task.team, String(this.job.id), offset, chunk, rawEnd);
  }

  /**
   * The end of the try, in one round trip: releases the slot, checks the lock (before BullMQ gets the result: a
   * lost task stays out of its errors), and records a failed try's result where `inspect` finds it.
   */
  async end(failed?: Progress): Promise<void> {
    await this.claiming;
    const held = await this.stopRenewing();
    // Nothing to release nor record (no machine limit): the lease, or a plain read of the lock.
    if (!held && !failed) return this.assertHeld('the result');
    await endTry(this.redis, this.task, held, failed, failed ? 'the result of the try' : 'the result');
    if (failed) this.job.progress = failed;
  }

  /** Shutdown hand-back: the job waits for the next bridge, which re-attaches to the run. */
  async handBack(): Promise<void> {
    await this.claiming.catch(() => {});
    await this.job.moveToWait(this.token);
  }

  /** Whatever happened: the slot is free again (a no-op once `end` released it). Never throws. */
  async release(): Promise<void> {
    if (!(await this.stopRenewing())) return;
    await endTry(this.redis, this.task, true, undefined, 'the slot').catch((error: Error) => {
      if (!(error instanceof LockLostError)) {
        this.log.warn({ err: error.message }, 'could not release machine slot; it frees when its lease expires');
      }
    });
  }

  /** Stops renewing the lease; true when the slot was held (and is to be released now). */
  private async stopRenewing(): Promise<boolean> {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    // A renewal still in flight would re-add the lease after the release.
    await this.renewing;
    const held = this.slotHeld;
    this.slotHeld = false;
    return held;
  }

  private renew(slot: { limit: number; leaseMs: number }): void {
    const ref = {
      team: this.task.team,
      machine: this.task.machine,
      holder: String(this.job.id),
      fence: this.task.fence,
    };
    this.renewing = renewMachineSlot(this.redis, ref, slot.leaseMs).then(
      (kept) => {
        if (!kept)
          this.log.warn({ limit: slot.limit }, 'machine slot lease had expired while the task ran; taken again');
      },
      (error: Error) => {
        if (!(error instanceof LockLostError)) {
          this.log.warn({ err: error.message }, 'could not renew machine slot lease');
          return;
        }
        // The task and its slot are another bridge's now: stop renewing (the lane hears of the loss from BullMQ).
        clearInterval(this.renewTimer);
        this.log.warn('the machine slot went to the bridge that holds the task now: no longer renewing it');
      },
    );
  }
}
