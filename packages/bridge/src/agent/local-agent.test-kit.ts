// The agent script run as a real local process (no SSH), for the agent's tests: what it does on a machine, driven
// the way the bridge drives it. Not part of the package (excluded from its build).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { EventStream } from './event-stream.js';
import type { AgentEvent } from './events.js';
import { agentScript, probeLine } from './script.js';
import { AgentSpoolReader } from './spool-reader.js';

export const TOKEN = 'localtoken1';

export class LocalAgent {
  readonly events: AgentEvent[] = [];
  private readonly waiters: (() => void)[] = [];
  readonly child: ChildProcessWithoutNullStreams;
  /** Output read as the bridge reads it from a machine without SFTP: frames on the agent's stderr. */
  readonly frames = new AgentSpoolReader(TOKEN);

  /** `shell` runs the agent and its runs; `mode` is the process-group mode it is asked for (RDC_AGENT_MODE). */
  constructor(shell: 'bash' | 'dash' = 'bash', mode?: 'm' | 's' | 'n', env: NodeJS.ProcessEnv = {}) {
    const args =
      shell === 'bash'
        ? ['--noprofile', '--norc', '-c', agentScript(), 'rdc-agent', TOKEN]
        : ['-c', agentScript(), 'rdc-agent', TOKEN];
    this.child = spawn(`/bin/${shell}`, args, {
      env: { ...process.env, SHELL: `/bin/${shell}`, ...(mode ? { RDC_AGENT_MODE: mode } : {}), ...env },
    });
    this.child.stderr.on('data', (chunk: Buffer) => this.frames.push(chunk));
    this.frames.send = (line) => this.send(line);
    // Read as the bridge reads it: a small output comes with its run's exit line, as raw bytes.
    const stream = new EventStream();
    stream.onEvent = (event) => {
      this.events.push(event);
      for (const wake of this.waiters.splice(0)) wake();
    };
    this.child.stdout.on('data', (chunk: Buffer) => stream.push(chunk));
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  async next<T extends AgentEvent>(match: (e: AgentEvent) => e is T): Promise<T> {
    for (;;) {
      const i = this.events.findIndex(match);
      if (i >= 0) return this.events.splice(i, 1)[0] as T;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  hello() {
    return this.next((e): e is Extract<AgentEvent, { type: 'hello' }> => e.type === 'hello');
  }

  started(id: string) {
    return this.next((e): e is Extract<AgentEvent, { type: 'started' }> => e.type === 'started' && e.id === id);
  }

  exited(id: string) {
    return this.next((e): e is Extract<AgentEvent, { type: 'exited' }> => e.type === 'exited' && e.id === id);
  }

  async probe(id: string) {
    this.send(probeLine(id));
    return (await this.next((e): e is Extract<AgentEvent, { type: 'probe' }> => e.type === 'probe' && e.id === id)).run;
  }
}

/** Probes until the run is no longer running (at most 5 s). */
export async function settledOn(on: LocalAgent, id: string) {
  let state = await on.probe(id);
  for (let i = 0; i < 250 && state.state === 'running'; i++) {
    await sleep(20);
    state = await on.probe(id);
  }
  return state;
}

export function exists(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Running (a zombie, dead but not yet reaped by its parent, is not). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
