// One try of a task on its machine, through a remote agent: start the command, or, when the task was held
// before, re-attach to the run still going on the machine or collect the result it left. Then wait for the
// end (the run's own report, or probing), kill it on timeout or cancel, and read its output.
// A lost connection is not a reason to run the command again: reconnect and re-attach.
import { constants } from 'node:os';
import { OutputMasker, RdcError, type RunOutcome, type RunResult } from '@rediacc/core';
import type { MachinePool, RunState } from '../agent/index.js';
import { AgentLostError, joinCut, type RemoteAgent, RunBusyError } from '../agent/index.js';
import { OutputStreamer } from './output-streamer.js';
import { letsGo, stopReasonOf as stopOf } from './stop-reason.js';

export interface TaskRunOptions {
  taskId: string;
  command: string;
  /** Exported to the command only (they travel on the agent's stdin, never in a command line). */
  env?: Readonly<Record<string, string>>;
  /** Values replaced by "***" in the stored and the streamed output. */
  maskValues?: readonly string[];
  timeoutMs?: number | undefined;
  graceSeconds: number;
  outputCapBytes: number;
  /** Probe interval for runs whose end this agent cannot hear (re-attached, killed, or exec'd). */
  pollMs: number;
  /**
   * Set when the task was claimed before (a retry, or a stalled task taken over from a dead bridge): look for
   * its run on the machine first. `startedAt`: when an earlier holder saw the command start in this try.
   */
  resume?: { startedAt?: number | undefined; runOnce: boolean } | undefined;
  /** A retry whose previous try's result was collected: whatever that try left on the machine is stale. */
  cleanFirst?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Called once, when the command runs on the machine (started now, or found running). */
  onStart?: (startedAt: number, attached: boolean) => void;
  /**
   * Called right before the command is started on the machine: throws when this bridge may no longer start it
   * (it lost the task's lock meanwhile).
   */
  beforeStart?: () => Promise<void>;
  /** Called when a start was refused: another agent had started this run on the machine; it is followed instead. */
  onBusy?: () => void;
  /** Called when an earlier holder's run is gone without a trace and the command is started again. */
  onRestart?: () => void;
  /** Called when the connection was lost while the run went on: the try reconnects and re-attaches. */
  onReconnect?: (reconnect: number, error: Error) => void;
  /**
   * Live output: new bytes of a run that lasts longer than `streamAfterMs`, read every `streamEveryMs`, starting
   * at byte `streamFrom` (where an earlier holder stopped). Awaited: chunks arrive in order, one at a time.
   * `chunk` is masked; it stands for the raw output from `offset` to `rawEnd`.
   */
  onOutput?: (offset: number, chunk: Buffer, rawEnd: number) => Promise<void>;
  streamFrom?: number;
  streamEveryMs?: number;
}

export type TaskRunEnd =
  | {
      kind: 'result';
      result: RunResult;
      stoppedBy?: 'cancel' | 'kill' | undefined;
      /** The run had ended on the machine before this bridge looked: its result was collected, not awaited. */
      collected?: boolean;
      /** No run files to remove now: none was started, or the machine stopped answering. */
      nothingToClean?: boolean;
    }
  /** The bridge let go of the run (shutdown hand-back, lost lock); it keeps running on the machine. */
  | { kind: 'released' };

const RECONNECTS = 3;
const RECONNECT_DELAY_MS = 500;
/** How long a killed run may take to be reported gone beyond the TERM→KILL grace. */
const KILL_SETTLE_MS = 5_000;

export async function runTask(pool: MachinePool, o: TaskRunOptions): Promise<TaskRunEnd> {
  const masker = new OutputMasker(o.maskValues ?? []);
  const streamer = new OutputStreamer(o, masker);
  let startedAt = o.resume?.startedAt;
  let announced = false;
  /** A start was sent: if its reply was lost with the connection, the run may exist anyway. */
  let startSent = false;
  let stop: 'timeout' | 'cancel' | 'kill' | undefined;
  for (let reconnect = 0; ; reconnect++) {
    const released = releasedBy(o.signal);
    if (released) return { kind: 'released' };
    let agent: RemoteAgent;
    try {
      const acquired = await acquireUnlessStopped(pool, o.signal);
      if (acquired === 'stopped') {
        // Stopped while connecting (a hung machine, say): end now rather than after a whole connect timeout.
        if (releasedBy(o.signal)) return { kind: 'released' };
        if (!startSent && !o.resume) return cancelledBeforeStart(o);
        // A run of this task may be on the machine: kill it once the machine answers.
        killWhenReachable(pool, o);
        return lostWhileStopping(stopOf(o.signal) === 'kill' ? 'kill' : 'cancel', startedAt, o.timeoutMs);
      }
      agent = acquired;
    } catch (error) {
      if (reconnect === 0 || !isRetryableConnect(error) || reconnect > RECONNECTS) throw error;
      await sleep(RECONNECT_DELAY_MS * reconnect);
      continue;
    }
    try {
      let state: RunState = { state: 'absent' };
      if (o.resume || startSent || startedAt !== undefined) state = await agent.probe(o.taskId);
      let ownChild = false;
      if (state.state === 'absent') {
        if (startedAt !== undefined) {
          if (o.resume?.runOnce) {
            throw new RdcError(
              'RDC_RUN_LOST',
              'bridge lost during execution: the run is gone from the machine, so whether the command finished is unknown; runOnce forbids running it again',
            );
          }
          o.onRestart?.();
        }
        if (o.signal?.aborted && stopOf(o.signal) !== undefined) {
          return cancelledBeforeStart(o);
        }
        const deadline = o.timeoutMs === undefined ? 0 : o.timeoutMs / 1000 + o.graceSeconds + 5;
        await o.beforeStart?.();
        if (o.cleanFirst && !startSent) agent.clean([o.taskId]);
        startSent = true;
        const own = await agent
          .start({
            id: o.taskId,
            command: o.command,
            deadlineSeconds: deadline,
            graceSeconds: o.graceSeconds,
            ...(o.env && { env: o.env }),
          })
          .then(
            () => true,
            (error: unknown) => {
              if (error instanceof RunBusyError) return false;
              throw error;
            },
          );
        if (own) {
          ownChild = true;
          startedAt = Date.now();
          state = { state: 'running', pid: 0 };
        } else {
          // Another agent started this run meanwhile (a bridge that lost the task, or the one that took it over):
          // follow that run instead. Probing tells its end; a start still in flight there probes as running.
          o.onBusy?.();
          state = await agent.probe(o.taskId);
          if (state.state === 'absent') state = { state: 'running', pid: 0 };
        }
      }
      if (!announced && state.state === 'running') {
        announced = true;
        startedAt ??= Date.now();
        o.onStart?.(startedAt, !ownChild);
      }
      const since = startedAt ?? Date.now();
      const end =
        state.state === 'running'
          ? await streamer.during(agent, () =>
              waitForEnd(agent, o, since, ownChild, (reason) => {
                stop ??= reason;
              }),
            )
          : state;
      if (end === 'released') return { kind: 'released' };
      await streamer.flush(agent);
      const output = await agent.readOutput(o.taskId, o.outputCapBytes);
      const result: RunResult = {
        ending: endingOf(end, stop, o.timeoutMs, ownChild),
        output: output.parts
          ? joinCut(
              masker.maskEdge(output.parts.head, 'end'),
              masker.maskEdge(output.parts.tail, 'start'),
              output.parts.cut,
            )
          : masker.maskText(output.output),
        truncated: output.truncated,
        startedAt: since,
        finishedAt: Date.now(),
      };
      return {
        kind: 'result',
        result,
        stoppedBy: stop === 'timeout' ? undefined : stop,
        collected: state.state !== 'running',
      };
    } catch (error) {
      if (!(error instanceof AgentLostError)) throw error;
      if (stop !== undefined) {
        // Being stopped and the machine is gone (hung, unreachable): end the try now with the reason. A timed-out
        // run is also killed by the machine's own deadline; a kill is sent again once the machine answers.
        killWhenReachable(pool, o);
        return lostWhileStopping(stop, startedAt, o.timeoutMs);
      }
      if (reconnect >= RECONNECTS) {
        throw new RdcError(
          'RDC_SSH_CONNECT',
          'the SSH connection was lost while the command ran and could not be re-established; the next try looks for the run on the machine before starting it again',
          { retryable: true, cause: error },
        );
      }
      o.onReconnect?.(reconnect + 1, error);
    } finally {
      pool.release(agent);
    }
  }
}

/**
 * Waits until the run has ended, as far as this machine can tell: its EXIT trap reported (own runs), or a probe
 * finds it done or dead. Kills it on timeout, cancel and shutdown-kill; lets go of it on hand-back and lost lock.
 */
async function waitForEnd(
  agent: RemoteAgent,
  o: TaskRunOptions,
  startedAt: number,
  ownChild: boolean,
  stopped: (reason: 'timeout' | 'cancel' | 'kill') => void,
): Promise<Exclude<RunState, { state: 'running' | 'absent' }> | 'released'> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let killedAt: number | undefined;
    let pollTimer: NodeJS.Timeout | undefined;
    let probing = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (value: Exclude<RunState, { state: 'running' | 'absent' }> | 'released' | Error) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      if (pollTimer) clearTimeout(pollTimer);
      o.signal?.removeEventListener('abort', onAbort);
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    const kill = (reason: 'timeout' | 'cancel' | 'kill') => {
      if (killedAt !== undefined) return;
      stopped(reason);
      killedAt = Date.now();
      try {
        agent.kill(o.taskId, o.graceSeconds);
      } catch (error) {
        finish(error as Error);
        return;
      }
      schedulePoll(100);
    };
    const poll = () => {
      if (settled || probing) return;
      probing = true;
      agent.probe(o.taskId).then(
        (state) => {
          probing = false;
          if (state.state === 'done' || state.state === 'dead') finish(state);
          else if (state.state === 'absent') finish({ state: 'dead', code: 127, deadline: false });
          else if (killedAt !== undefined && Date.now() - killedAt > o.graceSeconds * 1000 + KILL_SETTLE_MS) {
            // TERM and KILL were sent long ago and the group still looks alive: report it as killed anyway.
            finish({ state: 'dead', code: 137, deadline: false });
          } else schedulePoll(killedAt === undefined ? nextPollMs() : 100);
        },
        (error: Error) => finish(error),
      );
    };
    const schedulePoll = (ms: number) => {
      if (settled) return;
      if (pollTimer) clearTimeout(pollTimer);
      pollTimer = setTimeout(poll, ms);
    };
    // Own runs report their end themselves; probing only catches those that cannot (killed, exec'd).
    const nextPollMs = () => (ownChild ? Math.max(o.pollMs, 1_000) : o.pollMs);
    const onAbort = () => {
      const reason = stopOf(o.signal);
      if (letsGo(reason)) finish('released');
      else if (reason) kill(reason);
    };
    if (ownChild) {
      agent.exited(o.taskId).then(
        (code) => finish({ state: 'done', code, deadline: false }),
        (error: Error) => finish(error),
      );
    }
    if (o.timeoutMs !== undefined) {
      timers.push(setTimeout(() => kill('timeout'), Math.max(0, startedAt + o.timeoutMs - Date.now())));
    }
    o.signal?.addEventListener('abort', onAbort);
    if (o.signal?.aborted) onAbort();
    schedulePoll(ownChild ? nextPollMs() : 0);
  });
}

function endingOf(
  end: Exclude<RunState, { state: 'running' | 'absent' }>,
  stop: 'timeout' | 'cancel' | 'kill' | undefined,
  timeoutMs: number | undefined,
  ownChild: boolean,
): RunOutcome {
  if (stop === 'timeout' || end.deadline) return { outcome: 'timed-out', afterSeconds: (timeoutMs ?? 0) / 1000 };
  if (stop === 'cancel') return { outcome: 'cancelled' };
  if (end.state === 'done') return codeOutcome(end.code);
  // Gone without its EXIT trap: killed, or the command replaced its shell with `exec`. A child of this agent
  // is reaped by `wait`, which knows how it ended; for a run found after a crash the status is lost (127).
  if (!ownChild && end.code === 127) return { outcome: 'signalled', signal: 'unknown' };
  return codeOutcome(end.code);
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** A shell's status: 128+n means killed by signal n. */
function codeOutcome(code: number): RunOutcome {
  const signal = code > 128 ? SIGNAL_NAMES.get(code - 128) : undefined;
  return signal ? { outcome: 'signalled', signal } : { outcome: 'exited', exitCode: code };
}

function lostWhileStopping(
  stop: 'timeout' | 'cancel' | 'kill',
  startedAt: number | undefined,
  timeoutMs: number | undefined,
): TaskRunEnd {
  const now = Date.now();
  const ending: RunOutcome =
    stop === 'timeout'
      ? { outcome: 'timed-out', afterSeconds: (timeoutMs ?? 0) / 1000 }
      : stop === 'cancel'
        ? { outcome: 'cancelled' }
        : { outcome: 'signalled', signal: 'SIGTERM' };
  return {
    kind: 'result',
    stoppedBy: stop === 'timeout' ? undefined : stop,
    nothingToClean: true,
    result: {
      ending,
      output: '[output unavailable: the machine stopped answering while the command was being stopped]',
      truncated: false,
      startedAt: startedAt ?? now,
      finishedAt: now,
    },
  };
}

/** Best effort, in the background: kill the run once the machine answers again. */
function killWhenReachable(pool: MachinePool, o: TaskRunOptions): void {
  void (async () => {
    const agent = await pool.acquire();
    try {
      agent.kill(o.taskId, o.graceSeconds);
    } finally {
      pool.release(agent);
    }
  })().catch(() => {});
}

/** An agent of the machine, or 'stopped' as soon as the task is stopped (cancel, kill, hand-back) meanwhile. */
async function acquireUnlessStopped(
  pool: MachinePool,
  signal: AbortSignal | undefined,
): Promise<RemoteAgent | 'stopped'> {
  if (!signal) return pool.acquire();
  if (signal.aborted) return 'stopped';
  const acquiring = pool.acquire();
  let onAbort = () => {};
  const stopped = new Promise<'stopped'>((resolve) => {
    onAbort = () => resolve('stopped');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const winner = await Promise.race([acquiring, stopped]);
    // The connect goes on in the background: give its agent back to the pool when it arrives.
    if (winner === 'stopped')
      acquiring.then(
        (agent) => pool.release(agent),
        () => {},
      );
    return winner;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function releasedBy(signal: AbortSignal | undefined): boolean {
  return letsGo(stopOf(signal));
}

function cancelledBeforeStart(o: TaskRunOptions): TaskRunEnd {
  const now = Date.now();
  const stop = stopOf(o.signal) === 'kill' ? 'kill' : 'cancel';
  return {
    kind: 'result',
    stoppedBy: stop,
    nothingToClean: true,
    result: { ending: { outcome: 'cancelled' }, output: '', truncated: false, startedAt: now, finishedAt: now },
  };
}

function isRetryableConnect(error: unknown): boolean {
  return error instanceof RdcError && error.retryable;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
