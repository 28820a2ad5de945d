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
import {
  BATCH_RETENTION_SECONDS,
  type BatchTag,
  type JobData,
  type Logger,
  type Progress,
  RdcError,
  registryKeys,
} from '@rediacc/core';
import {
  appendOutputFenced,
  type BatchStop,
  batchSemaphore,
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
  renewSlots,
  type SlotSemaphore,
  waiterMemberOf,
  waiterScoreOf,
  writeProgress,
} from '@rediacc/queue';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
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

/**
 * What a claim needs: the machine's limit (none: no machine slot), the lease, and the safety net of a parked task
 * (parkDelayMs). The task's batch, if any, adds its --max-parallel slot and its --stop-on-failure flag.
 */
export interface SlotNeeds {
  machineLimit: number | undefined;
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
  /** A claim sent without waiting for its answer (claimAlongside): every later write waits for it first. */
  private claiming: Promise<void> = Promise.resolve();
  private readonly batch: BatchTag | undefined;
  /** This try stopped its batch already (the end of the try did). */
  private batchStopped = false;

  constructor(
    private readonly redis: Redis,
    private readonly job: Job,
    private readonly token: string,
    data: Pick<JobData, 'team' | 'machine' | 'batch'>,
    /** The try's logger, made when first asked for (most tries log nothing). */
    private readonly logger: () => Logger,
    /** The lock BullMQ set when it handed the job over (the workers' lockDuration). */
    private readonly lockDurationMs: number,
  ) {
    this.task = { job, fence: fenceOf(job, token), team: data.team, machine: data.machine };
    this.batch = data.batch;
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
   * Takes a slot of the machine (with a limit) and of the task's batch (with --max-parallel) and records `progress`
   * (ASSIGNED), in one round trip. No free slot: the job is parked (delayed until a release wakes it, or its safety
   * net), PENDING, its try uncounted (DelayedError). A batch stopped by another task's failure: CANCELLED, unstarted.
   */
  async claim(needs: SlotNeeds, progress: Progress, claimedBefore: boolean): Promise<Claimed> {
    const { team, machine } = this.task;
    const batch = this.batch;
    const semaphores: SlotSemaphore[] = [];
    if (needs.machineLimit !== undefined) semaphores.push(machineSemaphore(team, machine, needs.machineLimit));
    if (batch?.maxParallel !== undefined) semaphores.push(batchSemaphore(team, batch.id, batch.maxParallel));
    const stopFlag = batch?.stopOnFailure ? registryKeys.batchStop(team, batch.id) : undefined;
    const score = waiterScoreOf(this.job.opts.priority, this.job.timestamp);
    const slots =
      semaphores.length > 0 || stopFlag ? { semaphores, leaseMs: needs.leaseMs, score, stopFlag } : undefined;
    // Taken before the request leaves: the lease counts from a moment no later than Redis's reading of the lock.
    const sentAt = performance.now();
    const reply = await claimTask(this.redis, this.task, slots, progress, claimedBefore);
    if (!reply.slot && 'stoppedBy' in reply) {
      throw new UnrecoverableError(
        new RdcError(
          'RDC_CANCELLED',
          `not started: task ${reply.stoppedBy} of batch ${batch?.id} failed and the batch stops on failure`,
        ).toReason(),
      );
    }
    if (!reply.slot) {
      const checkMs = needs.parkedCheckMs;
      await this.job.moveToDelayed(Date.now() + parkDelayMs(checkMs, reply.ahead, reply.full.limit), this.token);
      // Recorded once it is delayed: a slot freed meanwhile is found by the park itself, which wakes a waiter then.
      await parkTask(this.redis, {
        team,
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
    if (semaphores.length > 0) {
      this.held = semaphores;
      this.renewTimer = setInterval(() => this.renew(needs.leaseMs), renewIntervalMs(needs.leaseMs));
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
   * The end of the try, in one round trip: releases the slots (waking parked tasks), checks the lock (before BullMQ
   * gets the result: a lost task stays out of its errors), records a failed try's result where `inspect` finds it,
   * and with `stopsBatch` (the try failed for good) stops a --stop-on-failure batch in the same step.
   */
  async end(failed?: Progress, stopsBatch = false): Promise<void> {
    await this.claiming;
    const held = await this.stopRenewing();
    const stop = this.batchStop(stopsBatch);
    // Nothing to release nor record (no machine limit): the lease, or a plain read of the lock.
    if (held.length === 0 && !failed && !stop) return this.assertHeld('the result');
    await endTry(this.redis, this.task, held, failed, failed ? 'the result of the try' : 'the result', stop);
    if (failed) this.job.progress = failed;
  }

  /** Shutdown hand-back: the job waits for the next bridge, which re-attaches to the run. */
  async handBack(): Promise<void> {
    await this.claiming.catch(() => {});
    await this.job.moveToWait(this.token);
  }

  /**
   * Whatever happened: the slots are free again (a no-op once `end` released them), and with `stopsBatch` a
   * --stop-on-failure batch is stopped in the same step. Never throws.
   */
  async release(stopsBatch = false): Promise<void> {
    const held = await this.stopRenewing();
    const stop = this.batchStop(stopsBatch);
    if (held.length === 0 && !stop) return;
    await endTry(this.redis, this.task, held, undefined, 'the slot', stop).catch((error: Error) => {
      if (!(error instanceof LockLostError)) {
        this.logger().warn({ err: error.message }, 'could not release the slots; they free when their leases expire');
      }
    });
  }

  /** The batch's stop flag when this try's failure stops it (the first failure for good of a --stop-on-failure batch). */
  private batchStop(stopsBatch: boolean): BatchStop | undefined {
    if (!stopsBatch || !this.batch?.stopOnFailure || this.batchStopped) return undefined;
    this.batchStopped = true;
    this.logger().warn(
      { batchId: this.batch.id },
      'task failed: its batch stops on failure, the tasks not started yet are cancelled',
    );
    return { flag: registryKeys.batchStop(this.task.team, this.batch.id), ttlSeconds: BATCH_RETENTION_SECONDS };
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

  private renew(leaseMs: number): void {
    const slotsKeys = this.held.map((s) => s.slotsKey);
    this.renewing = renewSlots(this.redis, String(this.job.id), this.task.fence, slotsKeys, leaseMs).then(
      (kept) => {
        if (!kept) this.logger().warn('a slot lease had expired while the task ran; taken again');
      },
      (error: Error) => {
        if (!(error instanceof LockLostError)) {
          this.logger().warn({ err: error.message }, 'could not renew the slot leases');
          return;
        }
        // The task and its slots are another bridge's now: stop renewing (the lane hears of the loss from BullMQ).
        clearInterval(this.renewTimer);
        this.logger().warn('the slots went to the bridge that holds the task now: no longer renewing them');
      },
    );
  }
}
