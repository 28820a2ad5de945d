// The agent's output lines, parsed. The protocol is at the top of agent.sh; anything else on the agent's stdout is
// reported as `unknown` rather than guessed at.

export type RunState =
  | { state: 'done'; code: number; deadline: boolean }
  | { state: 'running'; pid: number }
  /** Gone without recording a code: killed, or it replaced its shell with `exec`. code 127: not this agent's child. */
  | { state: 'dead'; code: number; deadline: boolean }
  | { state: 'absent' };

export type AgentEvent =
  | { type: 'hello'; version: number; mode: 'm' | 's' | 'n'; dir: string }
  | { type: 'started'; id: string; pid: number }
  /** A start refused: a run of this id is on the machine already (another agent started it). */
  | { type: 'busy'; id: string }
  | { type: 'exited'; id: string; code: number }
  | { type: 'probe'; id: string; run: RunState }
  | { type: 'error'; message: string }
  | { type: 'unknown'; line: string };

const INT = /^\d+$/;

export function parseAgentLine(line: string): AgentEvent {
  const [tag, id = '', a, b, c] = line.split(' ');
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
      return a !== undefined && INT.test(a) ? { type: 'exited', id, code: Number(a) } : unknown;
    case 'P':
      return probeOf(id, a, b, c) ?? unknown;
    case 'E':
      return { type: 'error', message: line.slice(2) };
    default:
      return unknown;
  }
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
