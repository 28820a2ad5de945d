// One run of a task's command on its machine, as one object: start it, or, when the task was held before,
// re-attach to the run still going on the machine or collect the result it left; then wait for its end (the run's
// own report, or probing), kill it on timeout or on a stop that kills, and read its output. Its owner (the task's
// try, task-run.ts) hears of it only through its events and its outcome, and steers it only with `stop(reason)`.
// A lost connection is not a reason to run the command again: reconnect and re-attach.
import { OutputMasker, RdcError, type RunResult } from '@rediacc/core';
import type { MachinePool, RunState } from '../agent/index.js';
import { AgentLostError, capBuffer, joinCut, type RemoteAgent, RunBusyError } from '../agent/index.js';
import { OutputStreamer } from './output-streamer.js';
import {
  acquireUnlessStopped,
  cancelledBeforeStart,
  endingOf,
  type KillReason,
  killWhenReachable,
  lostWhileStopping,
  type MachineRunEnd,
  type Stops,
  waitForEnd,
} from './run-end.js';
import { letsGo, type StopReason } from './stop-reason.js';

export type { MachineRunEnd } from './run-end.js';

export interface MachineRunSpec {
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
  /** Live output starts at this raw byte (where an earlier holder stopped), read every `streamEveryMs`. */
  streamFrom?: number;
  streamEveryMs?: number;
}

/** What the run asks of its owner, awaited: whether it may start now, and where its live output goes. */
export interface MachineRunOwner {
  /** Right before the command is started on the machine: throws when it may no longer start (a lost lock). */
  mayStart(): Promise<void>;
  /** Masked live output in order, one chunk at a time; `chunk` stands for the raw output from `offset` to `rawEnd`. */
  output?(offset: number, chunk: Buffer, rawEnd: number): Promise<void>;
}

export type MachineRunEvent =
  /** The command runs on the machine (started now, or found running: `attached`). Once. */
  | { type: 'started'; startedAt: number; attached: boolean }
  /** A start was refused: another agent had started this run on the machine; it is followed instead. */
  | { type: 'busy' }
  /** An earlier holder's run is gone without a trace, and the command is started again. */
  | { type: 'restarted' }
  /** The connection was lost while the run went on: reconnecting to re-attach. */
  | { type: 'reconnecting'; reconnect: number; error: Error };

const RECONNECTS = 3;
const RECONNECT_DELAY_MS = 500;

export class MachineRun {
  private readonly listeners: ((event: MachineRunEvent) => void)[] = [];
  private readonly stopListeners = new Set<() => void>();
  private stopReason: StopReason | undefined;
  private readonly stops: Stops;

  constructor(
    private readonly pool: MachinePool,
    private readonly spec: MachineRunSpec,
    private readonly owner: MachineRunOwner,
  ) {
    const run = this;
    this.stops = {
      get reason() {
        return run.stopReason;
      },
      onStop(listener) {
        run.stopListeners.add(listener);
        return () => run.stopListeners.delete(listener);
      },
    };
  }

  on(listener: (event: MachineRunEvent) => void): this {
    this.listeners.push(listener);
    return this;
  }

  /** cancel and kill end the run (killed on the machine); handback and lock-lost let go of it (it goes on). */
  stop(reason: StopReason): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    for (const listener of [...this.stopListeners]) listener();
  }

  get stoppedBy(): StopReason | undefined {
    return this.stopReason;
  }

  /** Runs (or re-attaches, or collects) until the end; resolves with the try's result, or 'released'. */
  async outcome(): Promise<MachineRunEnd> {
    const { pool, spec: o } = this;
    const masker = new OutputMasker(o.maskValues ?? []);
    const streamer = new OutputStreamer({ ...o, onOutput: this.owner.output?.bind(this.owner) }, masker);
    let startedAt = o.resume?.startedAt;
    let announced = false;
    /** A start was sent: if its reply was lost with the connection, the run may exist anyway. */
    let startSent = false;
    let killed: KillReason | undefined;
    for (let reconnect = 0; ; reconnect++) {
      if (letsGo(this.stopReason)) return { kind: 'released' };
      let agent: RemoteAgent;
      try {
        const acquired = await acquireUnlessStopped(pool, this.stops);
        if (acquired === 'stopped') {
          // Stopped while connecting (a hung machine, say): end now rather than after a whole connect timeout.
          if (letsGo(this.stopReason)) return { kind: 'released' };
          if (!startSent && !o.resume) return cancelledBeforeStart(this.stopReason);
          // A run of this task may be on the machine: kill it once the machine answers.
          killWhenReachable(pool, o.taskId, o.graceSeconds);
          return lostWhileStopping(this.stopReason === 'kill' ? 'kill' : 'cancel', startedAt, o.timeoutMs);
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
            this.emit({ type: 'restarted' });
          }
          if (letsGo(this.stopReason)) return { kind: 'released' };
          if (this.stopReason !== undefined) return cancelledBeforeStart(this.stopReason);
          const deadline = o.timeoutMs === undefined ? 0 : o.timeoutMs / 1000 + o.graceSeconds + 5;
          await this.owner.mayStart();
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
            this.emit({ type: 'busy' });
            state = await agent.probe(o.taskId);
            if (state.state === 'absent') state = { state: 'running', pid: 0 };
          }
        }
        if (!announced && state.state === 'running') {
          announced = true;
          startedAt ??= Date.now();
          this.emit({ type: 'started', startedAt, attached: !ownChild });
        }
        const since = startedAt ?? Date.now();
        const end =
          state.state === 'running'
            ? await streamer.during(agent, () =>
                waitForEnd(agent, o, this.stops, since, ownChild, (reason) => {
                  killed ??= reason;
                }),
              )
            : state;
        if (end === 'released') return { kind: 'released' };
        // A small output came with the run's end: no read of the spool (docs/architecture.md, "The agent protocol").
        const whole = end.state === 'done' ? end.output : undefined;
        await streamer.flush(agent, whole);
        const output = whole ? capBuffer(whole, o.outputCapBytes) : await agent.readOutput(o.taskId, o.outputCapBytes);
        const result: RunResult = {
          ending: endingOf(end, killed, o.timeoutMs, ownChild),
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
          stoppedBy: killed === 'timeout' ? undefined : killed,
          collected: state.state !== 'running',
        };
      } catch (error) {
        if (!(error instanceof AgentLostError)) throw error;
        if (killed !== undefined) {
          // Being stopped and the machine is gone (hung, unreachable): end the try now with the reason. A timed-out
          // run is also killed by the machine's own deadline; a kill is sent again once the machine answers.
          killWhenReachable(pool, o.taskId, o.graceSeconds);
          return lostWhileStopping(killed, startedAt, o.timeoutMs);
        }
        if (reconnect >= RECONNECTS) {
          throw new RdcError(
            'RDC_SSH_CONNECT',
            'the SSH connection was lost while the command ran and could not be re-established; the next try looks for the run on the machine before starting it again',
            { retryable: true, cause: error },
          );
        }
        this.emit({ type: 'reconnecting', reconnect: reconnect + 1, error });
      } finally {
        pool.release(agent);
      }
    }
  }

  private emit(event: MachineRunEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

function isRetryableConnect(error: unknown): boolean {
  return error instanceof RdcError && error.retryable;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
