// Machine status: every sampleIntervalMs, one cheap command (machine-sample.ts) on each machine the bridge holds a
// live pooled connection to, on an exec channel of its own (tasks never wait for it), the machines' samples spread
// evenly over the interval. Never a new connection just
// to sample, never more than one sample in flight per machine: a machine that does not answer is skipped until
// its sample times out. Connection results the pool reports are recorded too: a failed connect sets the machine's
// last error and `unreachableSince`, a successful connect or sample clears `unreachableSince`. Writes to one
// machine's record are chained, so they land in the order they happened; a failed write is logged, never fatal.
import { isRdcError, type Logger } from '@rediacc/core';
import { type MachineSample, recordMachineError, recordMachineReachable, recordMachineSample } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { parseSample, sampleCommand } from './machine-sample.js';

export interface SampleTarget {
  team: string;
  machine: string;
  /** The agent's run directory: the disk whose free space is sampled. */
  dir: string;
  /** Runs `command` over the machine's pooled connection and resolves with its stdout. */
  exec(command: string, timeoutMs: number): Promise<string>;
}

export interface MachineSamplerOptions {
  redis: Redis;
  bridgeId: string;
  /** 0: no sampling (connection results are still recorded). */
  intervalMs: number;
  /** A sample unanswered this long counts as a failure (and frees the machine for the next round). */
  timeoutMs: number;
  /** The machines with a live pooled connection now. */
  targets: () => SampleTarget[];
  /** Whether the machine is still registered: a removed machine's connection is not sampled into a new status. */
  registered: (team: string, machine: string) => Promise<boolean>;
  onSample?: (team: string, machine: string, sample: MachineSample) => void;
  logger: Logger;
}

export class MachineSampler {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly writes = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private started = 0;
  /** The samples of the current round not started yet (spreadRound). */
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(private readonly options: MachineSamplerOptions) {}

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.spreadRound(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Starts a sample of every connected machine that has none in flight; resolves when those started are done. */
  sampleAll(): Promise<void> {
    return Promise.all(this.options.targets().map((target) => this.sample(target))).then(() => {});
  }

  /**
   * One round of the interval, spread evenly over it: machine i of n is sampled i/n of the way through, so a fleet's
   * samples (an exec channel, a fork on each machine, a write to Redis each) never all land in the same moment.
   */
  private spreadRound(): void {
    const targets = this.options.targets();
    for (const [i, target] of targets.entries()) {
      const delay = Math.floor((i * this.options.intervalMs) / targets.length);
      if (delay === 0) {
        void this.sample(target);
        continue;
      }
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        void this.sample(target);
      }, delay);
      timer.unref();
      this.pending.add(timer);
    }
  }

  /** Samples one machine unless a sample of it is in flight (or sampling stopped). */
  private sample(target: SampleTarget): Promise<void> {
    const key = `${target.team}/${target.machine}`;
    if (this.stopped || this.inFlight.has(key)) return Promise.resolve();
    this.started++;
    const sample = this.sampleOne(target).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, sample);
    return sample;
  }

  /** Samples being taken now (at most one per machine). */
  get samplesInFlight(): number {
    return this.inFlight.size;
  }

  /** Samples started since the bridge started. */
  get samplesStarted(): number {
    return this.started;
  }

  /** The pool opened a connection to the machine (ok) or failed to (`error`, an RdcError naming the step). */
  connection(team: string, machine: string, ok: boolean, error?: unknown): void {
    if (ok) this.write(team, machine, () => recordMachineReachable(this.options.redis, team, machine, this.bridgeId));
    else this.failed(team, machine, errorCode(error, 'RDC_SSH_CONNECT'), errorMessage(error));
  }

  /** Stops sampling and waits for the writes in flight; a sample still running records nothing. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    await Promise.allSettled([...this.writes.values()]);
  }

  private get bridgeId(): string {
    return this.options.bridgeId;
  }

  private async sampleOne(target: SampleTarget): Promise<void> {
    const { team, machine } = target;
    if (!(await this.options.registered(team, machine))) return;
    let output: string;
    try {
      output = await target.exec(sampleCommand(target.dir), this.options.timeoutMs);
    } catch (error) {
      if (this.stopped) return;
      this.failed(team, machine, 'RDC_SSH_COMMAND', `sampling ${team}/${machine}: ${errorMessage(error)}`);
      return;
    }
    if (this.stopped) return;
    const sample = parseSample(output);
    this.options.onSample?.(team, machine, sample);
    const at = Date.now();
    await this.write(team, machine, () =>
      recordMachineSample(this.options.redis, team, machine, this.bridgeId, sample, at),
    );
  }

  private failed(team: string, machine: string, code: string, message: string): void {
    const error = { at: Date.now(), code, message };
    this.write(team, machine, () => recordMachineError(this.options.redis, team, machine, this.bridgeId, error));
  }

  /** Chains `write` after the machine's previous write; logs a failure. */
  private write(team: string, machine: string, write: () => Promise<unknown>): Promise<unknown> {
    const key = `${team}/${machine}`;
    const next = (this.writes.get(key) ?? Promise.resolve())
      .then(write)
      .catch((error: Error) =>
        this.options.logger.warn({ team, machine, err: error.message }, 'could not record the machine status'),
      );
    this.writes.set(key, next);
    void next.finally(() => {
      if (this.writes.get(key) === next) this.writes.delete(key);
    });
    return next;
  }
}

function errorCode(error: unknown, fallback: string): string {
  return isRdcError(error) ? error.code : fallback;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
