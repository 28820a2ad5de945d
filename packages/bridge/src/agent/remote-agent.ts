// The bridge's end of one remote agent (agent.sh, loaded by script.ts): the agent's exec channel for starting,
// probing, killing and forgetting runs, and a spool reader for their output: the connection's SFTP session when
// sshd offers one (nothing is spawned on the machine), else the agent's own output frames (spool-reader.ts),
// decided at the first read: a connection whose runs all end with their small output never opens SFTP.
// One agent per pooled SSH connection; it dies with the connection, the runs it started do not.
import { randomBytes } from 'node:crypto';
import { atPassEnd, RdcError } from '@rediacc/core';
import type { ClientChannel } from 'ssh2';
import type { SshConnection } from '../ssh/index.js';
import { EventStream } from './event-stream.js';
import { type AgentEvent, parseAgentLine, type RunState } from './events.js';
import { execOutput } from './exec-output.js';
import { type CappedOutput, readCapped } from './output-cap.js';
import {
  AGENT_VERSION,
  agentCommand,
  cleanLine,
  eventsMarker,
  killLine,
  probeLine,
  type RunRequest,
  runLine,
} from './script.js';
import { AgentSpoolReader, FirstReadSpoolReader, type SpoolReader } from './spool-reader.js';

/** The agent (its connection) went away: runs it started may still be running on the machine. */
export class AgentLostError extends Error {}

/** A start refused by the machine: a run of this id is there already, started by another agent. */
export class RunBusyError extends Error {}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // a rejection nobody awaits (the connection dropped) is not an error
  return { promise, resolve, reject };
}

/** A run's end as its EXIT trap reports it: the code, and the whole output when it was small (else read it). */
export interface RunExit {
  code: number;
  output?: Buffer;
}

export class RemoteAgent {
  /** Runs this agent holds for the bridge right now (the pool's load measure). */
  inFlight = 0;
  readonly dir: string;
  readonly mode: 'm' | 's' | 'n';
  private readonly starts = new Map<string, Deferred<number>>();
  private readonly exits = new Map<string, Deferred<RunExit>>();
  private readonly probes = new Map<string, Deferred<RunState>[]>();
  private readonly closeHandlers: (() => void)[] = [];
  private gone = false;
  /** Request lines not written yet (send). */
  private pending: string | undefined;

  private constructor(
    private readonly connection: SshConnection,
    private readonly channel: ClientChannel,
    private readonly reader: FirstReadSpoolReader,
    hello: Extract<AgentEvent, { type: 'hello' }>,
    lines: EventStream,
    /** A request unanswered this long means the machine hangs: the agent is given up (and its connection). */
    private readonly replyTimeoutMs: number,
  ) {
    this.dir = hello.dir;
    this.mode = hello.mode;
    lines.onEvent = (event) => this.onEvent(event);
    const onGone = () => this.lost();
    channel.on('close', onGone);
    connection.onClose(onGone);
  }

  /**
   * Starts the agent on `connection`; how output is read there (an SFTP session when sshd has one, else the
   * agent's frames) is decided at the first read. Resolves once the agent said hello.
   */
  static async start(connection: SshConnection, label: string, timeoutMs: number): Promise<RemoteAgent> {
    // Fresh per connection: no text a shell startup file prints can pass for the agent's markers.
    const token = randomBytes(12).toString('hex');
    const lines = new EventStream();
    const frames = new AgentSpoolReader(token);
    const opened = connection.exec(agentCommand(token), (ch) => {
      ch.on('data', (chunk: Buffer) => lines.push(chunk));
      ch.stderr.on('data', (chunk: Buffer) => frames.push(chunk));
      return ch;
    });
    let timer: NodeJS.Timeout | undefined;
    const channel = await Promise.race([
      opened,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new RdcError('RDC_AGENT', `${label} did not open a channel for the agent within ${timeoutMs / 1000}s`, {
                retryable: true,
              }),
            ),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    try {
      const hello = await waitHello(channel, lines, eventsMarker(token), label, timeoutMs);
      let agent: RemoteAgent | undefined;
      // No SFTP subsystem (hardened hosts, appliances, dropbear): the agent's frames carry the output instead.
      const reader = new FirstReadSpoolReader(
        () => connection.sftp().catch(() => undefined),
        hello.dir,
        frames,
        () => {
          frames.send = (line) => agent?.send(line);
          frames.onBroken = () => agent?.lost();
        },
      );
      agent = new RemoteAgent(connection, channel, reader, hello, lines, timeoutMs);
      return agent;
    } catch (error) {
      channel.close();
      throw error;
    }
  }

  /** How this agent reads output: SFTP, or the agent's own frames (the machine's sshd has no SFTP subsystem). */
  get outputVia(): SpoolReader['via'] {
    return this.reader.via;
  }

  get alive(): boolean {
    return !this.gone;
  }

  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }

  /**
   * Starts a run; resolves with its process (group) id. Its exit arrives through `exited`. Rejects with
   * RunBusyError when a run of this id is on the machine already (the machine never runs an id twice).
   */
  start(request: RunRequest): Promise<number> {
    this.assertAlive();
    const started = deferred<number>();
    this.starts.set(request.id, started);
    this.exitOf(request.id);
    this.send(runLine(request));
    return this.answered(started.promise);
  }

  /**
   * Resolves with the exit code a run started by this agent reports from its EXIT trap, and its whole output
   * when that was small. A run that is killed, or replaces its shell with `exec`, reports nothing here: probe it.
   */
  exited(id: string): Promise<RunExit> {
    return this.exitOf(id).promise;
  }

  probe(id: string): Promise<RunState> {
    this.assertAlive();
    const reply = deferred<RunState>();
    const queue = this.probes.get(id) ?? [];
    queue.push(reply);
    this.probes.set(id, queue);
    this.send(probeLine(id));
    return this.answered(reply.promise);
  }

  /** TERM to the run's process group now, KILL after `graceSeconds`. */
  kill(id: string, graceSeconds: number): void {
    this.assertAlive();
    this.send(killLine(id, graceSeconds));
  }

  /**
   * Removes the runs' files and stops their deadline watchers on the machine: before the agent reads its next
   * request, or (`background`) while it goes on with them.
   */
  clean(ids: readonly string[], options: { background?: boolean } = {}): void {
    if (ids.length === 0) return;
    this.assertAlive();
    this.send(cleanLine(ids, options));
  }

  /** Runs a short command on its own exec channel of this agent's connection: its stdout (capped), for sampling. */
  exec(command: string, timeoutMs: number): Promise<string> {
    this.assertAlive();
    return execOutput(this.connection, command, timeoutMs);
  }

  /** Drops what this agent remembers of a run (after its result is stored or it was handed on). */
  forget(id: string): void {
    this.starts.delete(id);
    this.exits.delete(id);
    this.probes.delete(id);
  }

  /** The run's output, at most `capBytes`: past that the head and the tail, with the cut marked. */
  readOutput(id: string, capBytes: number): Promise<CappedOutput> {
    return this.answered(readCapped(this.reader, id, capBytes));
  }

  /** Up to `max` bytes of the run's output from byte `offset` on (empty when there is nothing new). */
  readFrom(id: string, offset: number, max: number): Promise<Buffer> {
    return this.answered(this.reader.read(id, offset, max).then((slice) => slice.bytes));
  }

  close(): void {
    if (this.gone) return;
    this.flush();
    this.channel.end();
    this.reader.close();
    this.connection.close();
    this.lost();
  }

  /** `reply`, unless the machine stays silent past the reply timeout: then the agent is lost. */
  private answered<T>(reply: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.lost();
        reject(new AgentLostError(`the machine did not answer within ${this.replyTimeoutMs / 1000}s`));
      }, this.replyTimeoutMs);
    });
    return Promise.race([reply, silence]).finally(() => clearTimeout(timer));
  }

  private exitOf(id: string): Deferred<RunExit> {
    let exit = this.exits.get(id);
    if (!exit) {
      exit = deferred<RunExit>();
      this.exits.set(id, exit);
      if (this.gone) exit.reject(new AgentLostError('the SSH connection to the machine was lost'));
    }
    return exit;
  }

  private onEvent(event: AgentEvent): void {
    switch (event.type) {
      case 'started':
        this.starts.get(event.id)?.resolve(event.pid);
        this.starts.delete(event.id);
        return;
      case 'busy':
        this.starts.get(event.id)?.reject(new RunBusyError(`run ${event.id} is on the machine already`));
        this.starts.delete(event.id);
        this.exits.delete(event.id);
        return;
      case 'exited':
        this.exitOf(event.id).resolve(event.output ? { code: event.code, output: event.output } : { code: event.code });
        return;
      case 'probe': {
        const queue = this.probes.get(event.id);
        queue?.shift()?.resolve(event.run);
        if (queue?.length === 0) this.probes.delete(event.id);
        return;
      }
      case 'hello':
      case 'error':
      case 'unknown':
        return; // nothing else is expected once running; the agent evaluates only what we send
    }
  }

  /**
   * Queues a request line; the lines of one pass of the event loop go out at its end (atPassEnd, with the pass's
   * Redis writes) as one channel write, one SSH packet (runs claimed together start together), which the machine's
   * sshd decrypts and hands on once.
   */
  private send(line: string): void {
    if (this.pending === undefined) {
      this.pending = `${line}\n`;
      atPassEnd(() => this.flush());
    } else this.pending += `${line}\n`;
  }

  private flush(): void {
    const data = this.pending;
    this.pending = undefined;
    if (data !== undefined && !this.gone) this.channel.write(data);
  }

  private assertAlive(): void {
    if (this.gone) throw new AgentLostError('the SSH connection to the machine was lost');
  }

  private lost(): void {
    if (this.gone) return;
    this.gone = true;
    const error = new AgentLostError('the SSH connection to the machine was lost');
    for (const d of this.starts.values()) d.reject(error);
    for (const d of this.exits.values()) d.reject(error);
    for (const queue of this.probes.values()) for (const d of queue) d.reject(error);
    this.starts.clear();
    this.probes.clear();
    this.reader.fail(error);
    for (const handler of this.closeHandlers) handler();
    this.connection.destroy();
  }

  static readonly version = AGENT_VERSION;
}

function waitHello(
  channel: ClientChannel,
  lines: EventStream,
  marker: string,
  label: string,
  timeoutMs: number,
): Promise<Extract<AgentEvent, { type: 'hello' }>> {
  return new Promise((resolve, reject) => {
    // Lines before the marker are whatever the login printed (.bashrc, ~/.ssh/rc): never read as events.
    let marked = false;
    const fail = (why: string) => {
      cleanup();
      reject(
        new RdcError('RDC_AGENT', `the rediacc agent did not start on ${label}: ${why}`, {
          retryable: true,
        }),
      );
    };
    const check = () => {
      for (let line = lines.shift(); line !== undefined; line = lines.shift()) {
        if (!marked) {
          marked = line === marker;
          continue;
        }
        const event = parseAgentLine(line);
        if (event.type === 'hello') {
          if (event.version !== AGENT_VERSION) return fail(`agent version ${event.version}, expected ${AGENT_VERSION}`);
          cleanup();
          return resolve(event);
        }
        if (event.type === 'error') return fail(event.message);
      }
    };
    const onClose = () => fail('the agent exited (is /bin/sh there, and /tmp or /dev/shm writable?)');
    const timer = setTimeout(() => fail(`no reply within ${timeoutMs / 1000}s`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      channel.off('data', check);
      channel.off('close', onClose);
    };
    channel.on('data', check);
    channel.on('close', onClose);
    check();
  });
}
