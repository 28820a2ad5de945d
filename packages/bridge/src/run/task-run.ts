// One try of a claimed task: take its machine's slot and record ASSIGNED (lifecycle.ts, one round trip), open its
// secrets, run the command on the machine through one MachineRun (or re-attach to the run an earlier holder left
// there), record PROCESSING once it runs, and end the try: its result for BullMQ (exit 0), or a failure (a failed
// try's result recorded first), or let go of the run (hand-back, lost lock). The try owns its MachineRun: it hears
// of it only through the run's events and outcome, and steers it only with `stop(reason)`.
import {
  type AuditAction,
  type AuditOutcome,
  type JobData,
  type Logger,
  type MachineRecord,
  type Progress,
  progressSchema,
  RdcError,
  type RunResult,
} from '@rediacc/core';
import { LockLostError } from '@rediacc/queue';
import { type Job, WaitingError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunCleaner, SshPool } from '../agent/index.js';
import type { BridgeConfig } from '../config.js';
import type { MachineKey } from '../ssh/index.js';
import { isFinalFailure } from './final-failure.js';
import { type Claimed, slotLimit, TaskLifecycle } from './lifecycle.js';
import { MachineRun, type MachineRunEvent } from './machine-run.js';
import { openTaskSecrets } from './secrets.js';
import type { StopReason } from './stop-reason.js';

/** Appends a lifecycle transition of a task to its team's audit log. */
export type AuditFn = (
  team: string,
  action: AuditAction,
  taskId: string,
  outcome: AuditOutcome,
  detail: Record<string, string | number | boolean | null>,
) => void;

export interface TaskRunDeps {
  config: BridgeConfig;
  pool: SshPool;
  redis: Redis;
  machine: (team: string, name: string) => Promise<MachineRecord>;
  /** The machine's SSH private key, opened from the vault (cached briefly). */
  machineKey: (machine: MachineRecord) => Promise<MachineKey>;
  cleaner: RunCleaner;
  logger: Logger;
  /** team → vault secret key (base64), checked at start. */
  teamKeys: ReadonlyMap<string, string>;
  /** Appends a lifecycle transition to the audit log, batched: never a round trip of its own. */
  audit: AuditFn;
  /** Told when a task is claimed for the first time: how long it waited since its creation. */
  onFirstClaim?: (team: string, priority: number, waitMs: number) => void;
}

const ERROR_TAIL_BYTES = 2_048;

/**
 * How long a run goes before PROCESSING is written: a short command's try is then two writes (the claim and
 * BullMQ's result), not three; anyone watching sees PROCESSING at most this late.
 */
export const PROCESSING_AFTER_MS = 100;

export class TaskRun {
  private readonly taskId: string;
  private readonly attempt: number;
  /** The try's child logger, made on its first line: most tries log nothing. */
  private log: Logger | undefined;
  private readonly lifecycle: TaskLifecycle;
  private machineRun: MachineRun | undefined;
  private stopReason: StopReason | undefined;

  /** `data` is the job's data, parsed once (processor.ts): never read from the job again. */
  constructor(
    private readonly deps: TaskRunDeps,
    private readonly job: Job,
    token: string,
    private readonly data: JobData,
  ) {
    this.taskId = String(job.id);
    this.attempt = job.attemptsMade;
    this.lifecycle = new TaskLifecycle(deps.redis, job, token, data, () => this.logger, deps.config.lockDurationMs);
  }

  get logger(): Logger {
    this.log ??= this.deps.logger.child({
      team: this.data.team,
      machine: this.data.machine,
      taskId: this.taskId,
      attempt: this.attempt + 1,
    });
    return this.log;
  }

  /** Stops the try: before the run starts, or on the machine (cancel, kill) or by letting go of it (handback, lock-lost). */
  stop(reason: StopReason): void {
    this.stopReason ??= reason;
    this.machineRun?.stop(reason);
  }

  /** The result of a try that completed; throws the failure of one that did not (or LockLostError, WaitingError). */
  async run(): Promise<RunResult> {
    let stopsBatch = false;
    try {
      return await this.runOnMachine();
    } catch (error) {
      // The run on the machine is the new holder's now: no cleaning, no kill, no write (the lane logs the loss).
      if (error instanceof LockLostError) this.deps.cleaner.release(this.taskId);
      else stopsBatch = isFinalFailure(error, this.job);
      throw error;
    } finally {
      // Frees the slots; a failure for good stops a --stop-on-failure batch in the same step.
      await this.lifecycle.release(stopsBatch);
    }
  }

  private async runOnMachine(): Promise<RunResult> {
    const { deps, data, job, taskId, attempt, lifecycle } = this;
    const log = () => this.logger;
    const bridge = deps.config.name;
    const earlier = earlierProgress(job.progress);
    const before = earlier.success && earlier.data.attempt === attempt ? earlier.data : undefined;
    const previousCollected = earlier.success && earlier.data.attempt !== attempt && earlier.data.result !== undefined;
    // An earlier holder collected this try's failed result, then died before storing the failure.
    if (before?.result) throw failureOf(before.result, undefined);
    const machine = await deps.machine(data.team, data.machine);
    const limit = slotLimit(machine.maxConcurrent, deps.config.maxPerMachine);
    // One round trip: the machine's slot and the batch's (none free: parked until one frees; a stopped batch:
    // CANCELLED), ASSIGNED, and for a task claimed before its cancel flag and where its live output stopped. A first
    // claim with nothing to take or read (no machine limit, no batch) goes out alongside the start instead: the run
    // does not wait for it.
    const assigned = {
      phase: 'ASSIGNED',
      bridge,
      attempt,
      ...(before?.startedAt !== undefined && { startedAt: before.startedAt }),
    } satisfies Progress;
    let claimed: Claimed = { cancelRequested: false, outputEnd: 0 };
    if (limit === undefined && data.batch === undefined && !earlier.success) lifecycle.claimAlongside(assigned);
    else {
      claimed = await lifecycle.claim(
        { machineLimit: limit, leaseMs: deps.config.machineSlotLeaseMs, parkedCheckMs: deps.config.parkedCheckMs },
        assigned,
        earlier.success,
      );
    }
    if (!earlier.success) deps.onFirstClaim?.(data.team, job.opts.priority ?? 0, Date.now() - job.timestamp);
    if (claimed.cancelRequested) this.stop('cancel');
    deps.audit(data.team, 'task.assigned', taskId, 'ok', { attempt: attempt + 1 });
    // Opened for every try, a re-attach too: its output must be masked all the same.
    const secrets = await openTaskSecrets(deps.redis, data, deps.teamKeys.get(data.team));
    const key = await deps.machineKey(machine);
    const pool = deps.pool.machine({
      label: `${machine.team}/${machine.name}`,
      host: machine.host,
      port: machine.port,
      user: machine.user,
      privateKey: key.privateKey,
      keySource: key.source,
      hostKeyFingerprint: machine.hostKeyFingerprint,
    });
    deps.cleaner.hold(taskId, pool);
    let processing: Promise<unknown> = Promise.resolve();
    /** A write refused by the fence while the run goes on: stop following the run now, it is the new holder's. */
    const letGoIfLost = (error: unknown): never => {
      if (error instanceof LockLostError) this.stop('lock-lost');
      throw error;
    };
    const resumed = earlier.success && !previousCollected;
    const run = new MachineRun(
      pool,
      {
        taskId,
        command: data.command,
        env: secrets.env,
        maskValues: secrets.maskValues,
        timeoutMs: data.timeout === undefined ? undefined : data.timeout * 1000,
        graceSeconds: deps.config.killGraceSeconds,
        outputCapBytes: deps.config.outputCapBytes,
        pollMs: deps.config.pollMs,
        // Claimed before (taken over after a stall, or a retry after a lost connection): the run may be on the
        // machine already. A retry after a collected failure starts afresh.
        resume: resumed ? { startedAt: before?.startedAt, runOnce: data.runOnce ?? false } : undefined,
        cleanFirst: previousCollected,
        // Live output continues where an earlier holder stopped streaming.
        streamFrom: resumed ? claimed.outputEnd : 0,
      },
      {
        mayStart: () => lifecycle.assertHeld('the start of the command'),
        output: (offset, chunk, rawEnd) => lifecycle.output(offset, chunk, rawEnd).catch(letGoIfLost),
      },
    );
    /** PROCESSING not written yet: the write, held back for PROCESSING_AFTER_MS. */
    let pendingProcessing: { timer: NodeJS.Timeout; write: () => void } | undefined;
    run.on((event) => {
      if (event.type !== 'started') {
        this.logEvent(event);
        return;
      }
      if (event.attached) log().info('re-attached to the run on the machine');
      const write = () => {
        pendingProcessing = undefined;
        // Awaited once the run ends; a lost lock stops following the run at once (it is the new holder's).
        processing = lifecycle.progress({ phase: 'PROCESSING', bridge, attempt, startedAt: event.startedAt });
        processing.catch(letGoIfLost).catch(() => {});
      };
      // A run that ends within PROCESSING_AFTER_MS never shows PROCESSING: its result carries when it started. A
      // runOnce task records it at once: should this bridge die and the run vanish, the next one must know it ran.
      if (data.runOnce || event.attached) write();
      else pendingProcessing = { timer: setTimeout(write, PROCESSING_AFTER_MS), write };
      deps.audit(data.team, 'task.processing', taskId, 'ok', { attempt: attempt + 1, reattached: event.attached });
    });
    this.machineRun = run;
    if (this.stopReason) run.stop(this.stopReason);
    const end = await run.outcome();
    clearTimeout(pendingProcessing?.timer);
    // Handed back with the run going on: the next bridge and any cancel must see that it started.
    if (end.kind === 'released' && run.stoppedBy === 'handback') pendingProcessing?.write();
    await processing;
    if (end.kind === 'released') {
      deps.cleaner.release(taskId);
      if (run.stoppedBy === 'lock-lost') throw new LockLostError('the outcome');
      if (run.stoppedBy === 'handback') {
        await lifecycle.release();
        await lifecycle.handBack();
        log().info('handed back: the run goes on on the machine and the next bridge re-attaches to it');
      }
      throw new WaitingError();
    }
    const { result } = end;
    if (end.collected) log().info('collected the result of a run that ended on the machine');
    if (result.ending.outcome === 'exited' && result.ending.exitCode === 0) {
      if (deps.logger.isLevelEnabled('debug'))
        log().debug({ ms: result.finishedAt - result.startedAt }, 'task completed');
      // Frees the slot and checks the lock in one round trip: BullMQ stores the result only under our lock anyway;
      // checking first keeps a lost task out of its errors.
      await lifecycle.end();
      return result;
    }
    // Keep the failed try's output and exit code where `inspect` finds it (and free the slot), then clear the run so
    // a retry starts afresh, and only then fail the try.
    const failure = failureOf(result, end.stoppedBy);
    await lifecycle.end(
      { phase: 'PROCESSING', bridge, attempt, startedAt: result.startedAt, result },
      isFinalFailure(failure, job),
    );
    // Best effort: a retry starts clean anyway (cleanFirst), and a hung machine must not hide the failure.
    if (end.nothingToClean) deps.cleaner.release(taskId);
    else {
      await deps.cleaner.cleanNow(pool, taskId).catch((error: Error) => {
        log().warn({ err: error.message }, 'could not remove the run from the machine');
      });
    }
    throw failure;
  }

  private logEvent(event: Exclude<MachineRunEvent, { type: 'started' }>): void {
    if (event.type === 'busy') {
      this.logger.warn(
        'the run was started on the machine by another agent meanwhile: following it, not starting it again',
      );
    } else if (event.type === 'restarted') {
      this.logger.warn('the run of an earlier holder is gone from the machine: starting it again');
    } else {
      this.logger.warn(
        { reconnect: event.reconnect, err: event.error.message },
        'SSH connection lost during the run: reconnecting to re-attach',
      );
    }
  }
}

/**
 * The progress an earlier try recorded. A job never claimed has BullMQ's initial progress, the number 0: no object
 * is ever a Progress then, and a failed parse (an error with its stack trace and messages) is skipped.
 */
function earlierProgress(progress: unknown): { success: true; data: Progress } | { success: false } {
  if (typeof progress !== 'object' || progress === null) return { success: false };
  return progressSchema.safeParse(progress);
}

function failureOf(result: RunResult, stoppedBy: 'cancel' | 'kill' | undefined): RdcError {
  const tail = result.output.slice(-ERROR_TAIL_BYTES).trim();
  const detail = tail ? `: ${tail}` : '';
  const ran = `after ${((result.finishedAt - result.startedAt) / 1000).toFixed(1)}s`;
  if (stoppedBy === 'kill') {
    return new RdcError('RDC_BRIDGE_SHUTDOWN', `killed ${ran}: the bridge shut down with --on-shutdown kill`, {
      retryable: true,
    });
  }
  switch (result.ending.outcome) {
    case 'exited':
      return new RdcError('RDC_COMMAND_FAILED', `exit code ${result.ending.exitCode}${detail}`, { retryable: true });
    case 'signalled':
      return new RdcError(
        'RDC_COMMAND_FAILED',
        result.ending.signal === 'unknown'
          ? `the command ended without an exit status (it replaced its shell with exec, or was killed)${detail}`
          : `killed by signal ${result.ending.signal}${detail}`,
        { retryable: true },
      );
    case 'timed-out':
      return new RdcError('RDC_TIMEOUT', `timed out after ${result.ending.afterSeconds}s`, { retryable: true });
    case 'cancelled':
      return new RdcError('RDC_CANCELLED', `cancelled while running (${ran}); the command was killed on the machine`);
  }
}
