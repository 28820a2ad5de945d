// Owns one long-running child program (redis-server, sshd): spawns it with its output appended to a log
// file, waits until it answers, stops it (TERM, then KILL after a grace period) and starts it again with the
// same arguments. A process 'exit' hook kills whatever is still running, so a crashed test leaks no servers.
import { type ChildProcess, spawn } from 'node:child_process';
import { open, readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalProcessError } from './local-process-error.js';

export interface ManagedProcess {
  /** Pid of the running program; undefined once it has exited. */
  readonly pid: number | undefined;
  /** SIGTERM, wait for exit, SIGKILL after 5 s. Idempotent; resolves at once when not running. */
  stop(): Promise<void>;
  /** Sends a raw signal (SIGKILL, SIGSTOP, SIGCONT, …); does nothing when not running. */
  kill(signal: NodeJS.Signals): void;
  /** Stops it if running, starts it again with the same port and data, resolves when it answers. */
  restart(): Promise<void>;
}

export interface ProcessSpec {
  /** Program name for messages. */
  readonly name: string;
  /** Absolute path of the executable. */
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly logPath: string;
  /** True once the program answers on its port and is the one we started (not a squatter on the port). */
  readonly isReady: (pid: number) => Promise<boolean>;
  readonly startTimeoutMs: number;
}

export type StartOutcome =
  | { readonly kind: 'ready' }
  | { readonly kind: 'exited'; readonly reason: string; readonly logTail: string }
  | { readonly kind: 'timed-out'; readonly logTail: string };

const STOP_GRACE_MS = 5_000;
const POLL_MS = 50;

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // 'exit' handlers must be synchronous: a signal is all we can do, and SIGKILL also ends a stopped process.
    process.on('exit', () => {
      for (const orphan of running) orphan.kill('SIGKILL');
    });
  }
  running.add(child);
}

interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<string>;
  done: boolean;
}

export class ManagedChild implements ManagedProcess {
  readonly spec: ProcessSpec;
  #run: Run | undefined;
  #stopping: Promise<void> | undefined;

  constructor(spec: ProcessSpec) {
    this.spec = spec;
  }

  get pid(): number | undefined {
    return this.#run && !this.#run.done ? this.#run.child.pid : undefined;
  }

  /** Spawns the program and waits until it is ready, exits or the start timeout passes (then it is killed). */
  async start(): Promise<StartOutcome> {
    if (this.pid !== undefined) throw new Error(`${this.spec.name} is already running (pid ${this.pid})`);
    const spec = this.spec;
    const logOffset = await fileSize(spec.logPath);
    const run = await this.#spawn();
    const deadline = Date.now() + spec.startTimeoutMs;
    while (Date.now() < deadline) {
      if (run.done) {
        return { kind: 'exited', reason: await run.exited, logTail: await logTail(spec.logPath, logOffset) };
      }
      const pid = run.child.pid;
      if (pid !== undefined && (await spec.isReady(pid)) && !run.done) return { kind: 'ready' };
      await sleep(POLL_MS);
    }
    await this.#terminate(run, 'SIGKILL');
    return { kind: 'timed-out', logTail: await logTail(spec.logPath, logOffset) };
  }

  stop(): Promise<void> {
    const run = this.#run;
    if (!run || run.done) return Promise.resolve();
    this.#stopping ??= this.#terminate(run, 'SIGTERM').finally(() => {
      this.#stopping = undefined;
    });
    return this.#stopping;
  }

  kill(signal: NodeJS.Signals): void {
    const run = this.#run;
    if (run && !run.done) run.child.kill(signal);
  }

  async restart(): Promise<void> {
    await this.stop();
    const outcome = await this.start();
    throwUnlessReady(this.spec, outcome);
  }

  async #spawn(): Promise<Run> {
    const spec = this.spec;
    // The child writes straight into the log file: no pipe for us to drain, nothing keeps the event loop busy.
    const log = await open(spec.logPath, 'a', 0o600);
    let child: ChildProcess;
    try {
      await log.write(`--- ${new Date().toISOString()} starting ${spec.name} ${spec.args.join(' ')}\n`);
      child = spawn(spec.command, spec.args, { cwd: spec.cwd, stdio: ['ignore', log.fd, log.fd] });
    } finally {
      await log.close();
    }
    const exited = new Promise<string>((resolve) => {
      // 'error' without 'exit' happens when the program cannot be executed at all.
      child.once('error', (error) => resolve(`could not be started: ${error.message}`));
      child.once('exit', (code, signal) => resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`));
    });
    const run: Run = { child, exited, done: false };
    void exited.then(() => {
      run.done = true;
      running.delete(child);
    });
    track(child);
    this.#run = run;
    return run;
  }

  async #terminate(run: Run, signal: NodeJS.Signals): Promise<void> {
    if (run.done) return;
    run.child.kill(signal);
    // A SIGSTOPped program keeps a pending SIGTERM until it is continued.
    run.child.kill('SIGCONT');
    const escalation = setTimeout(() => run.child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      await run.exited;
    } finally {
      clearTimeout(escalation);
    }
  }
}

export function throwUnlessReady(spec: Pick<ProcessSpec, 'name' | 'startTimeoutMs'>, outcome: StartOutcome): void {
  switch (outcome.kind) {
    case 'ready':
      return;
    case 'exited':
      throw new LocalProcessError(spec.name, `${outcome.reason} before it was ready`, outcome.logTail);
    case 'timed-out':
      throw new LocalProcessError(spec.name, `did not answer within ${spec.startTimeoutMs} ms`, outcome.logTail);
    default: {
      const unhandled: never = outcome;
      throw new Error(`unhandled start outcome ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Pid recorded in a pid file, or undefined while the file is absent or half-written. */
export async function readPidFile(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

const TAIL_LINES = 20;

async function logTail(path: string, fromOffset: number): Promise<string> {
  try {
    const text = (await readFile(path)).subarray(fromOffset).toString('utf8');
    return text.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
  } catch {
    return '';
  }
}
