// The remote agent's script lives in agent.sh (next to this file, copied into dist/ by the build): a real POSIX sh
// file with its protocol described at its top. This module loads it and builds the lines the bridge sends it.
import { readFileSync } from 'node:fs';
import { shellWord } from '../ssh/index.js';

/** The version the agent says hello with (`H <version> …` in agent.sh). */
export const AGENT_VERSION = 3;

/** Where the script ships: next to the compiled module in dist/, next to the source under vitest. */
export const AGENT_SCRIPT_PATH = new URL('./agent.sh', import.meta.url);

let loaded: string | undefined;

/** The agent script as sent to the machine: whole-line comments and blank lines dropped (it travels on every connect). */
export function agentScript(): string {
  if (loaded === undefined) {
    let text: string;
    try {
      text = readFileSync(AGENT_SCRIPT_PATH, 'utf8');
    } catch (error) {
      throw new Error(`the agent script ${AGENT_SCRIPT_PATH.pathname} is missing: rebuild @rediacc/bridge`, {
        cause: error,
      });
    }
    loaded = text
      .split('\n')
      .filter((line) => line.trim() !== '' && !/^\s*#/.test(line))
      .join('\n');
  }
  return loaded;
}

/** The line after which the agent's stdout carries only events (startup text before it is not ours). */
export function eventsMarker(token: string): string {
  return `rdc-agent ${token}`;
}

/** The line after which the agent's stderr carries only output frames. */
export function framesMarker(token: string): string {
  return `rdc-agent-frames ${token}`;
}

/**
 * The exec string that starts the agent, with `token` (fresh per connection) for its markers: under bash when the machine has it (job control gives each run a
 * process group for the cost of a fork), else under sh. Written so any POSIX login shell can run it.
 */
export function agentCommand(token: string): string {
  if (!/^[A-Za-z0-9]{8,64}$/.test(token)) throw new Error('the agent token must be 8 to 64 letters and digits');
  // Plain single quotes: newlines inside them are fine for the login shell.
  const script = shellWord(agentScript());
  return [
    `command -v bash >/dev/null 2>&1 && exec bash --noprofile --norc -c ${script} rdc-agent ${token}`,
    `exec /bin/sh -c ${script} rdc-agent ${token}`,
  ].join('; ');
}

/**
 * A single-quoted shell word. Newlines become `'"$nl"'` (the agent defines nl), so every request stays on one
 * line: the agent reads line by line.
 */
export function shellQuote(value: string): string {
  return shellWord(value).replace(/\n/g, `'"$nl"'`);
}

const RUN_ID = /^[A-Za-z0-9-]{1,128}$/;

function runId(id: string): string {
  if (!RUN_ID.test(id)) throw new Error(`run id ${JSON.stringify(id)} must be letters, digits and "-"`);
  return id;
}

function seconds(value: number): number {
  return Math.max(0, Math.ceil(value));
}

export interface RunRequest {
  id: string;
  command: string;
  /** Remote deadline in seconds after which the machine kills the run by itself; 0 for none. */
  deadlineSeconds: number;
  graceSeconds: number;
  /** Exported to the run only: values travel on the agent's stdin, never in a command line. */
  env?: Readonly<Record<string, string>>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The task's vaultData, as JSON, in the command's environment. */
export const VAULT_DATA_ENV = 'RDC_VAULT_DATA';

export function runLine(request: RunRequest): string {
  const env = Object.entries(request.env ?? {});
  for (const [name] of env) {
    // RDC_*/rdc_* and nl are the agent's own names (agent.sh): a task must not change them.
    if (!ENV_NAME.test(name) || (/^rdc_/i.test(name) && name !== VAULT_DATA_ENV) || name === 'nl') {
      throw new Error(`environment name ${name} is not allowed`);
    }
  }
  const run = `r ${runId(request.id)} ${shellQuote(request.command)} ${seconds(request.deadlineSeconds)} ${seconds(request.graceSeconds)}`;
  if (env.length === 0) return run;
  // Exported in the agent just for the fork that starts the run: `r` unsets them right after it (before the deadline
  // watcher forks), and the trailing unset covers a start that failed early.
  const set = env.map(([name, value]) => `${name}=${shellQuote(value)}`).join(' ');
  const names = env.map(([name]) => name).join(' ');
  return `export ${set}; ${run} '${names}'; unset ${names}`;
}

export function killLine(id: string, graceSeconds: number): string {
  return `k ${runId(id)} ${seconds(graceSeconds)}`;
}

export function probeLine(id: string): string {
  return `p ${runId(id)}`;
}

export function readLine(id: string, offset: number, max: number): string {
  return `o ${runId(id)} ${Math.max(0, Math.floor(offset))} ${Math.max(0, Math.floor(max))}`;
}

/** Forgets runs: their files are gone before the agent reads its next request, or (`background`) removed meanwhile. */
export function cleanLine(ids: readonly string[], { background = false } = {}): string {
  return `${background ? 'C' : 'c'} ${ids.map(runId).join(' ')}`;
}
