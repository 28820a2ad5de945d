// The agent's stdout, split into events: one line each, except that a run's end (`D <id> <code> <n>`) is followed
// by exactly n raw bytes, the run's whole output when it was small (agent.sh, the run wrapper). The bytes are
// taken by count, never by line, so any output (NUL, newlines, invalid UTF-8) arrives intact.
import { type AgentEvent, parseAgentLine } from './events.js';

export type EventHandler = (event: AgentEvent, line: string) => void;

/**
 * Splits channel data into events. Until `onEvent` is set, lines are kept as text (startup output before the
 * agent's marker is not ours, and no run has been started yet, so nothing can carry bytes then).
 */
export class EventStream {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly kept: string[] = [];
  private handler: EventHandler | undefined;
  /** An exit line whose bytes are still arriving. */
  private pending: Extract<AgentEvent, { type: 'exited' }> | undefined;
  private pendingLine = '';

  set onEvent(handler: EventHandler) {
    this.handler = handler;
    for (const line of this.kept.splice(0)) handler(parseAgentLine(line), line);
  }

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.pending) {
        const want = this.pending.bytes ?? 0;
        if (this.buffer.length < want) return;
        const event = { ...this.pending, output: Buffer.from(this.buffer.subarray(0, want)) };
        this.buffer = this.buffer.subarray(want);
        this.pending = undefined;
        this.handler?.(event, this.pendingLine);
        continue;
      }
      const newline = this.buffer.indexOf(0x0a);
      if (newline < 0) return;
      const line = this.buffer.subarray(0, newline).toString('utf8');
      this.buffer = this.buffer.subarray(newline + 1);
      if (!this.handler) {
        this.kept.push(line);
        continue;
      }
      const event = parseAgentLine(line);
      if (event.type === 'exited' && event.bytes !== undefined) {
        this.pending = event;
        this.pendingLine = line;
      } else this.handler(event, line);
    }
  }

  /** The first kept line, once there is one. */
  shift(): string | undefined {
    return this.kept.shift();
  }
}

/** The bytes the agent writes for a run that exited with `code` and wrote `output` (small): for tests. */
export function exitFrame(id: string, code: number, output?: Buffer): Buffer {
  const line = output === undefined ? `D ${id} ${code}\n` : `D ${id} ${code} ${output.length}\n`;
  return Buffer.concat([Buffer.from(line), output ?? Buffer.alloc(0)]);
}
