// The agent's output lines, parsed. The protocol is at the top of agent.sh; anything else on the agent's stdout is
// reported as `unknown` rather than guessed at.

export type RunState =
  /** `output`: the run's whole output, when it came with its end (small outputs); else read it from the spool. */
  | { state: 'done'; code: number; deadline: boolean; output?: Buffer }
  | { state: 'running'; pid: number }
  /** Gone without recording a code: killed, or it replaced its shell with `exec`. code 127: not this agent's child. */
  | { state: 'dead'; code: number; deadline: boolean }
  | { state: 'absent' };

export type AgentEvent =
  | { type: 'hello'; version: number; mode: 'm' | 's' | 'n'; dir: string }
  | { type: 'started'; id: string; pid: number }
  /** A start refused: a run of this id is on the machine already (another agent started it). */
  | { type: 'busy'; id: string }
  /**
   * A run's end, from its EXIT trap. `bytes`: that many bytes of output follow the line (the run's whole output,
   * small enough to travel with the event); `output` holds them once read (event-stream.ts). Without `bytes` the
   * output is read from the spool.
   */
  | { type: 'exited'; id: string; code: number; bytes?: number; output?: Buffer }
  | { type: 'probe'; id: string; run: RunState }
  | { type: 'error'; message: string }
  | { type: 'unknown'; line: string };

const INT = /^\d+$/;
/** The most output bytes an exit line may announce: the agent sends under 4 KiB (agent.sh, rdc_small). */
export const MAX_EXIT_BYTES = 64 * 1024;

export function parseAgentLine(line: string): AgentEvent {
  const [tag, id = '', a, b, c, ...more] = line.split(' ');
  const unknown: AgentEvent = { type: 'unknown', line };
  switch (tag) {
    case 'H': {
      const dir = line.split(' ').slice(3).join(' ');
      if (!INT.test(id) || (a !== 'm' && a !== 's' && a !== 'n') || !dir.startsWith('/')) return unknown;
      return { type: 'hello', version: Number(id), mode: a, dir };
    }
    case 'S':
      return a !== undefined && INT.test(a) ? { type: 'started', id, pid: Number(a) } : unknown;
    case 'B':
      return id !== '' && a === undefined ? { type: 'busy', id } : unknown;
    case 'D':
      return exitOf(id, a, b, c === undefined && more.length === 0) ?? unknown;
    case 'P':
      return probeOf(id, a, b, c) ?? unknown;
    case 'E':
      return { type: 'error', message: line.slice(2) };
    default:
      return unknown;
  }
}

function exitOf(id: string, code?: string, bytes?: string, ends = true): AgentEvent | undefined {
  if (code === undefined || !INT.test(code) || !ends) return undefined;
  if (bytes === undefined) return { type: 'exited', id, code: Number(code) };
  if (!INT.test(bytes) || Number(bytes) > MAX_EXIT_BYTES) return undefined;
  return { type: 'exited', id, code: Number(code), bytes: Number(bytes) };
}

function probeOf(id: string, state?: string, n?: string, flag?: string): AgentEvent | undefined {
  const number = n !== undefined && INT.test(n) ? Number(n) : undefined;
  const deadline = flag === 'deadline';
  switch (state) {
    case 'absent':
      return { type: 'probe', id, run: { state: 'absent' } };
    case 'done':
      return number === undefined ? undefined : { type: 'probe', id, run: { state: 'done', code: number, deadline } };
    case 'dead':
      return number === undefined ? undefined : { type: 'probe', id, run: { state: 'dead', code: number, deadline } };
    case 'running':
      return number === undefined ? undefined : { type: 'probe', id, run: { state: 'running', pid: number } };
    default:
      return undefined;
  }
}
