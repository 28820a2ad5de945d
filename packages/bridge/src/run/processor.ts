// What a bridge does with one claimed job: validate it, record ASSIGNED, run the command on its machine (or
// re-attach to the run an earlier holder left there), record PROCESSING once it runs, and end COMPLETED (exit 0),
// FAILED (exit code, timeout: retried while retries remain) or CANCELLED. On shutdown the run is handed back.
// Every write is fenced by the claim's lock token (@rediacc/queue fencing.ts): a bridge that lost the task (frozen
// past its lock while another took it over) writes nothing more, starts nothing, and leaves the run to the other.
import {
  type AuditAction,
  type AuditOutcome,
  isRdcError,
  type JobData,
  jobDataSchema,
  type Logger,
  type MachineRecord,
  type Progress,
  progressSchema,
  RdcError,
  type RunResult,
  taskIdSchema,
} from '@rediacc/core';
import { LockLostError } from '@rediacc/queue';
import { DelayedError, type Job, UnrecoverableError, WaitingError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunCleaner, SshPool } from '../agent/index.js';
import type { BridgeConfig } from '../config.js';
import type { MachineKey } from '../ssh/index.js';
import { slotLimit, TaskLifecycle } from './lifecycle.js';
import { openTaskSecrets } from './secrets.js';
import { type StopReason, stopReasonOf } from './stop-reason.js';
import { runTask } from './task-run.js';

/** Appends a lifecycle transition of a task to its team's audit log. */
export type AuditFn = (
  team: string,
  action: AuditAction,
  taskId: string,
  outcome: AuditOutcome,
  detail: Record<string, string | number | boolean | null>,
) => void;

export interface ProcessorDeps {
  config: BridgeConfig;
  pool: SshPool;
  redis: Redis;
  machine: (team: string, name: string) => Promise<MachineRecord>;
  /** The machine's SSH private key, opened from the vault (cached briefly). */
  machineKey: (machine: MachineRecord) => Promise<MachineKey>;
  cleaner: RunCleaner;
  /** Task ids this bridge holds right now, with their team (for the periodic cancel check). */
  held: Map<string, string>;
  logger: Logger;
  /** team → vault secret key (base64), checked at start. */
  teamKeys: ReadonlyMap<string, string>;
  /** Appends a lifecycle transition to the audit log, batched: never a round trip of its own. */
  audit: AuditFn;
  /** Told when a task is claimed for the first time: how long it waited since its creation. */
  onFirstClaim?: (team: string, priority: number, waitMs: number) => void;
}

const ERROR_TAIL_BYTES = 2_048;

export function taskProcessor(deps: ProcessorDeps) {
  // Three parameters: BullMQ passes an AbortSignal only to processors that declare it.
  return async function processTask(job: Job, token?: string, signal?: AbortSignal): Promise<RunResult> {
    const data = validJobData(job);
    const taskId = String(job.id);
    const attempt = job.attemptsMade;
    const log = deps.logger.child({ team: data.team, machine: data.machine, taskId, attempt: attempt + 1 });
    if (token === undefined) throw new UnrecoverableError(`RDC_INTERNAL: job ${taskId} was handed over without a lock`);
    const bridge = deps.config.name;
    const earlier = progressSchema.safeParse(job.progress);
    const before = earlier.success && earlier.data.attempt === attempt ? earlier.data : undefined;
    const previousCollected = earlier.success && earlier.data.attempt !== attempt && earlier.data.result !== undefined;
    const lifecycle = new TaskLifecycle(deps.redis, job, token, data, log);
    deps.held.set(taskId, data.team);
    try {
      // An earlier holder collected this try's failed result, then died before storing the failure.
      if (before?.result) throw failureOf(before.result, undefined);
      const stop = new AbortController();
      const onAbort = () => stop.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort);
      const machine = await deps.machine(data.team, data.machine);
      const limit = slotLimit(machine.maxConcurrent, deps.config.maxPerMachine);
      // One round trip: the machine's slot (none free: back to the queue for a moment), ASSIGNED, and for a task
      // claimed before its cancel flag and where its live output stopped.
      const claimed = await lifecycle.claim(
        limit === undefined ? undefined : { limit, leaseMs: deps.config.machineSlotLeaseMs },
        {
          phase: 'ASSIGNED',
          bridge,
          attempt,
          ...(before?.startedAt !== undefined && { startedAt: before.startedAt }),
        } satisfies Progress,
        earlier.success,
      );
      if (!earlier.success) deps.onFirstClaim?.(data.team, job.opts.priority ?? 0, Date.now() - job.timestamp);
      if (claimed.cancelRequested) stop.abort('cancel');
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
      let started: Promise<unknown> = Promise.resolve();
      /** A write refused by the fence while the run goes on: stop following the run now, it is the new holder's. */
      const letGoIfLost = (error: unknown): never => {
        if (error instanceof LockLostError) stop.abort('lock-lost' satisfies StopReason);
        throw error;
      };
      // Live output continues where an earlier holder stopped streaming.
      const streamFrom = earlier.success && !previousCollected ? claimed.outputEnd : 0;
      const end = await runTask(pool, {
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
        resume:
          earlier.success && !previousCollected
            ? { startedAt: before?.startedAt, runOnce: data.runOnce ?? false }
            : undefined,
        cleanFirst: previousCollected,
        signal: stop.signal,
        onStart: (startedAt, attached) => {
          if (attached) log.info('re-attached to the run on the machine');
          // Awaited once the run ends; a lost lock stops following the run at once (it is the new holder's).
          started = lifecycle.progress({ phase: 'PROCESSING', bridge, attempt, startedAt }).catch(letGoIfLost);
          started.catch(() => {});
          deps.audit(data.team, 'task.processing', taskId, 'ok', { attempt: attempt + 1, reattached: attached });
        },
        onBusy: () =>
          log.warn(
            'the run was started on the machine by another agent meanwhile: following it, not starting it again',
          ),
        onRestart: () => log.warn('the run of an earlier holder is gone from the machine: starting it again'),
        onReconnect: (reconnect, error) =>
          log.warn({ reconnect, err: error.message }, 'SSH connection lost during the run: reconnecting to re-attach'),
        streamFrom,
        onOutput: (offset, chunk, rawEnd) => lifecycle.output(offset, chunk, rawEnd).catch(letGoIfLost),
        beforeStart: () => lifecycle.assertHeld('the start of the command'),
      }).finally(() => signal?.removeEventListener('abort', onAbort));
      await started;
      if (end.kind === 'released') {
        deps.cleaner.release(taskId);
        if (stopReasonOf(stop.signal) === 'lock-lost') throw new LockLostError('the outcome');
        if (stopReasonOf(stop.signal) === 'handback') {
          await lifecycle.release();
          await lifecycle.handBack();
          log.info('handed back: the run goes on on the machine and the next bridge re-attaches to it');
        }
        throw new WaitingError();
      }
      const { result } = end;
      if (end.collected) log.info('collected the result of a run that ended on the machine');
      if (result.ending.outcome === 'exited' && result.ending.exitCode === 0) {
        log.debug({ ms: result.finishedAt - result.startedAt }, 'task completed');
        // Frees the slot and checks the lock in one round trip: BullMQ stores the result only under our lock anyway;
        // checking first keeps a lost task out of its errors.
        await lifecycle.end();
        return result;
      }
      // Keep the failed try's output and exit code where `inspect` finds it (and free the slot), then clear the run
      // so a retry starts afresh, and only then fail the try.
      await lifecycle.end({ phase: 'PROCESSING', bridge, attempt, startedAt: result.startedAt, result });
      // Best effort: a retry starts clean anyway (cleanFirst), and a hung machine must not hide the failure.
      if (end.nothingToClean) deps.cleaner.release(taskId);
      else {
        await deps.cleaner.cleanNow(pool, taskId).catch((error: Error) => {
          log.warn({ err: error.message }, 'could not remove the run from the machine');
        });
      }
      throw failureOf(result, end.stoppedBy);
    } catch (error) {
      if (error instanceof WaitingError || error instanceof UnrecoverableError || error instanceof DelayedError) {
        throw error;
      }
      if (error instanceof LockLostError) {
        // The run on the machine is the new holder's now: no cleaning, no kill, no write (the lane logs the loss).
        deps.cleaner.release(taskId);
        throw error;
      }
      const rdc = isRdcError(error)
        ? error
        : new RdcError('RDC_INTERNAL', String(error), { cause: error, retryable: true });
      if (rdc.code === 'RDC_HOST_KEY_MISMATCH') {
        // Someone may be intercepting the connection: loud, and nothing was run. (Audit: see the lead's wiring.)
        log.error({ code: rdc.code, err: rdc.message }, 'host key mismatch: refusing to run the task');
      } else log.warn({ code: rdc.code, err: rdc.message }, 'task try failed');
      throw rdc.retryable ? new Error(rdc.toReason()) : new UnrecoverableError(rdc.toReason());
    } finally {
      deps.held.delete(taskId);
      await lifecycle.release();
    }
  };
}

function validJobData(job: Job): JobData {
  const parsed = jobDataSchema.safeParse(job.data);
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
