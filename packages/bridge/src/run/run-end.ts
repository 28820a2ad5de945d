// How a run on a machine ends, for MachineRun (machine-run.ts): waiting for its end (its own report, or probing),
// killing it on timeout or stop, and turning what the machine said into the try's outcome.
import { constants } from 'node:os';
import type { RunOutcome, RunResult } from '@rediacc/core';
import type { MachinePool, RemoteAgent, RunState } from '../agent/index.js';
import { letsGo, type StopReason } from './stop-reason.js';

/** What stopped a run this bridge killed (a timeout, or a stop that kills). */
export type KillReason = 'timeout' | 'cancel' | 'kill';

export type Ended = Exclude<RunState, { state: 'running' | 'absent' }>;

export type MachineRunEnd =
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

/** How long a killed run may take to be reported gone beyond the TERM→KILL grace. */
const KILL_SETTLE_MS = 5_000;

export interface WaitOptions {
  taskId: string;
  graceSeconds: number;
  pollMs: number;
  timeoutMs?: number | undefined;
}

/** The stop a run was given (typed), and a way to hear of the next one. */
export interface Stops {
  readonly reason: StopReason | undefined;
  onStop(listener: () => void): () => void;
}

/**
 * Waits until the run has ended, as far as this machine can tell: its EXIT trap reported (own runs), or a probe
 * finds it done or dead. Kills it on timeout, cancel and shutdown-kill; lets go of it on hand-back and lost lock.
 */
export function waitForEnd(
  agent: RemoteAgent,
  o: WaitOptions,
  stops: Stops,
  startedAt: number,
  ownChild: boolean,
  killed: (reason: KillReason) => void,
): Promise<Ended | 'released'> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let killedAt: number | undefined;
    let pollTimer: NodeJS.Timeout | undefined;
    let probing = false;
    let timer: NodeJS.Timeout | undefined;
    let unlisten = () => {};
    const finish = (value: Ended | 'released' | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(pollTimer);
      unlisten();
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    const kill = (reason: KillReason) => {
      if (killedAt !== undefined) return;
      killed(reason);
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
      clearTimeout(pollTimer);
      pollTimer = setTimeout(poll, ms);
    };
    // Own runs report their end themselves; probing only catches those that cannot (killed, exec'd).
    const nextPollMs = () => (ownChild ? Math.max(o.pollMs, 1_000) : o.pollMs);
    const onStop = () => {
      const reason = stops.reason;
      if (letsGo(reason)) finish('released');
      else if (reason) kill(reason);
    };
    if (ownChild) {
      agent.exited(o.taskId).then(
        ({ code, output }) => finish({ state: 'done', code, deadline: false, ...(output && { output }) }),
        (error: Error) => finish(error),
      );
    }
    if (o.timeoutMs !== undefined) {
      timer = setTimeout(() => kill('timeout'), Math.max(0, startedAt + o.timeoutMs - Date.now()));
    }
    unlisten = stops.onStop(onStop);
    if (stops.reason) onStop();
    schedulePoll(ownChild ? nextPollMs() : 0);
  });
}

export function endingOf(
  end: Ended,
  stop: KillReason | undefined,
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

export function lostWhileStopping(
  stop: KillReason,
  startedAt: number | undefined,
  timeoutMs: number | undefined,
): MachineRunEnd {
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

export function cancelledBeforeStart(reason: StopReason | undefined): MachineRunEnd {
  const now = Date.now();
  return {
    kind: 'result',
    stoppedBy: reason === 'kill' ? 'kill' : 'cancel',
    nothingToClean: true,
    result: { ending: { outcome: 'cancelled' }, output: '', truncated: false, startedAt: now, finishedAt: now },
  };
}

/** Best effort, in the background: kill the run once the machine answers again. */
export function killWhenReachable(pool: MachinePool, taskId: string, graceSeconds: number): void {
  void (async () => {
    const agent = await pool.acquire();
    try {
      agent.kill(taskId, graceSeconds);
    } finally {
      pool.release(agent);
    }
  })().catch(() => {});
}

/** An agent of the machine, or 'stopped' as soon as the run is stopped (cancel, kill, hand-back) meanwhile. */
export async function acquireUnlessStopped(pool: MachinePool, stops: Stops): Promise<RemoteAgent | 'stopped'> {
  if (stops.reason) return 'stopped';
  const acquiring = pool.acquire();
  let unlisten = () => {};
  const stopped = new Promise<'stopped'>((resolve) => {
    unlisten = stops.onStop(() => resolve('stopped'));
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
    unlisten();
  }
}
