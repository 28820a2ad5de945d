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
  machineSemaphore,
  parkTask,
  putBack,
  renewIntervalMs,
  renewMachineSlot,
  type SlotSemaphore,
  waiterMemberOf,
  waiterScoreOf,
  writeProgress,
} from '@rediacc/queue';
import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';

/** The limit that applies to a machine: its own, else the bridge's, else none. */
export function slotLimit(machineLimit: number | undefined, bridgeLimit: number | undefined): number | undefined {
  return machineLimit ?? bridgeLimit;
}

/** A parked task's safety net is at most this many times `checkMs`. */
const PARK_MAX_CHECKS = 60;

/**
 * How long a task parked for a slot stays delayed unless a release wakes it: `checkMs` for the first `limit` waiters,
 * longer the further back it waits (those wake in turn as slots free; a long line of parked tasks then looks for
 * slots by itself only a few times a second), jittered so waiters do not move in step.
 */
export function parkDelayMs(checkMs: number, ahead: number, limit: number, random: () => number = Math.random): number {
  const turns = Math.min(1 + Math.floor(ahead / Math.max(1, limit)), PARK_MAX_CHECKS);
  return Math.floor(checkMs * turns * (1 + random() / 4));
}

/** How long a waiting list outlives its last park: past the longest safety net of the tasks in it. */
export function waitersTtlMs(checkMs: number): number {
  return checkMs * PARK_MAX_CHECKS * 2;
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

/** The slots a claim needs: the machine's limit, the lease, and the safety net of a parked task (parkDelayMs). */
export interface SlotNeeds {
  limit: number;
  leaseMs: number;
  parkedCheckMs: number;
}

export class TaskLifecycle {
  private readonly task: ClaimedTask;
  /** The semaphores this try holds a slot of (released by the end of the try). */
  private held: SlotSemaphore[] = [];
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> = Promise.resolve();
  /** Until then (performance.now()) the claim's lock is known to be ours without reading it (leaseUntil). */
  private leaseEnd = 0;

  constructor(
    private readonly redis: Redis,
    private readonly job: Job,
    private readonly token: string,
    data: Pick<JobData, 'team' | 'machine'>,
    private readonly log: Logger,
  ) {
    this.task = { job, fence: fenceOf(job, token), team: data.team, machine: data.machine };
  }

  /**
   * Takes a slot of the machine (with `slot`: the limit and lease) and records `progress` (ASSIGNED), in one round
   * trip. No free slot: the job is parked (delayed until a release wakes it, or its safety net), PENDING, its try
   * uncounted (DelayedError).
   */
  async claim(slot: SlotNeeds | undefined, progress: Progress, claimedBefore: boolean): Promise<Claimed> {
    const semaphores = slot ? [machineSemaphore(this.task.team, this.task.machine, slot.limit)] : [];
    const score = waiterScoreOf(this.job.opts.priority, this.job.timestamp);
    // Taken before the request leaves: the lease counts from a moment no later than Redis's reading of the lock.
    const sentAt = performance.now();
    const reply = await claimTask(
      this.redis,
      this.task,
      slot && { semaphores, leaseMs: slot.leaseMs, score },
      progress,
      claimedBefore,
    );
    if (!reply.slot) {
      const checkMs = slot?.parkedCheckMs ?? 0;
      await this.job.moveToDelayed(Date.now() + parkDelayMs(checkMs, reply.ahead, reply.full.limit), this.token);
      // Recorded once it is delayed: a slot freed meanwhile is found by the park itself, which wakes a waiter then.
      await parkTask(this.redis, {
        team: this.task.team,
        slotsKey: reply.full.slotsKey,
        waitersKey: reply.full.waitersKey,
        limit: reply.full.limit,
        member: waiterMemberOf(this.job),
        score,
        ttlMs: waitersTtlMs(checkMs),
      });
      throw new DelayedError();
    }
    this.job.progress = progress;
    this.leaseEnd = leaseUntil(sentAt, reply.lockTtlMs);
    if (slot) {
      this.held = semaphores;
      this.renewTimer = setInterval(() => this.renew(slot), renewIntervalMs(slot.leaseMs));
    }
    return { cancelRequested: reply.cancelRequested, outputEnd: reply.outputEnd };
  }

  /** PROCESSING (or a progress of the same try): LockLostError when the task is another bridge's now. */
  progress(progress: Progress): Promise<void> {
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
  output(offset: number, chunk: Buffer, rawEnd: number): Promise<void> {
    return appendOutputFenced(this.redis, this.task.fence, this.task.team, String(this.job.id), offset, chunk, rawEnd);
  }

  /**
   * The end of the try, in one round trip: releases the slot, checks the lock (before BullMQ gets the result: a
   * lost task stays out of its errors), and records a failed try's result where `inspect` finds it.
   */
  async end(failed?: Progress): Promise<void> {
    const held = await this.stopRenewing();
    // Nothing to release nor record (no machine limit): the lease, or a plain read of the lock.
    if (held.length === 0 && !failed) return this.assertHeld('the result');
    await endTry(this.redis, this.task, held, failed, failed ? 'the result of the try' : 'the result');
    if (failed) this.job.progress = failed;
  }

  /** Shutdown hand-back: the job waits for the next bridge, which re-attaches to the run. */
  async handBack(): Promise<void> {
    await this.job.moveToWait(this.token);
  }

  /** Whatever happened: the slot is free again (a no-op once `end` released it). Never throws. */
  async release(): Promise<void> {
    const held = await this.stopRenewing();
    if (held.length === 0) return;
    await endTry(this.redis, this.task, held, undefined, 'the slot').catch((error: Error) => {
      if (!(error instanceof LockLostError)) {
        this.log.warn({ err: error.message }, 'could not release machine slot; it frees when its lease expires');
      }
    });
  }

  /** Stops renewing the leases; the semaphores whose slots were held (and are to be released now). */
  private async stopRenewing(): Promise<SlotSemaphore[]> {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    // A renewal still in flight would re-add the lease after the release.
    await this.renewing;
    const held = this.held;
    this.held = [];
    return held;
  }

  private renew(slot: SlotNeeds): void {
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
