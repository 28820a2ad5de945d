// A tasks file (`create tasks --file`): one task spec per line as JSON, the same fields as `createMany` takes. Every
// line is checked before anything is enqueued, and every bad one is named by its line number and field, so a user
// fixes the whole file in one go. Pure: the lines come from whoever reads the file or stdin, one at a time.
import { RdcError } from './errors.js';
import { type TaskSpecInput, taskSpecSchema } from './task-spec.js';
import { formatIssues } from './validation.js';

/** A file may hold at most this many tasks: they are enqueued in one all-or-nothing createMany. */
export const MAX_TASK_LINES = 100_000;

/** One bad line: its number (from 1) and what is wrong, field by field. */
export interface BadTaskLine {
  line: number;
  problem: string;
}

/**
 * Reads task specs from `lines` (blank lines and lines starting with `#` are skipped). `defaults` fills fields a
 * line leaves out (a `--team` given once). Throws RDC_TASK_FILE_INVALID naming every bad line and field.
 */
export async function readTaskLines(
  lines: AsyncIterable<string> | Iterable<string>,
  defaults: Partial<TaskSpecInput> = {},
): Promise<TaskSpecInput[]> {
  const specs: TaskSpecInput[] = [];
  const bad: BadTaskLine[] = [];
  let n = 0;
  for await (const raw of lines) {
    n += 1;
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    if (specs.length + bad.length >= MAX_TASK_LINES) {
      throw new RdcError(
        'RDC_TASK_FILE_INVALID',
        `the tasks file holds more than ${MAX_TASK_LINES} tasks (line ${n}); split it into several files`,
      );
    }
    const parsed = parseTaskLine(text, defaults);
    if ('problem' in parsed) bad.push({ line: n, problem: parsed.problem });
    else specs.push(parsed.spec);
  }
  if (bad.length > 0) throw badLinesError(bad);
  if (specs.length === 0) throw new RdcError('RDC_TASK_FILE_INVALID', 'the tasks file holds no task (no JSON line)');
  return specs;
}

/** One line: the spec it holds (validated, given as written plus defaults) or what is wrong with it. */
export function parseTaskLine(
  text: string,
  defaults: Partial<TaskSpecInput> = {},
): { spec: TaskSpecInput } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {
      problem: 'not JSON: each line must be one task spec object, for example {"machine":"web-01","command":"uptime"}',
    };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { problem: 'not a JSON object: each line must be one task spec object' };
  }
  const spec = { ...defaults, ...(value as Record<string, unknown>) } as TaskSpecInput;
  const result = taskSpecSchema.safeParse(spec);
  if (!result.success) return { problem: formatIssues(result.error.issues) };
  return { spec };
}

function badLinesError(bad: BadTaskLine[]): RdcError {
  // Every problem once, with the lines that have it (a file of 1,500 lines missing one field is one entry, not 1,500),
  // in the order they first appear: the user fixes the whole file in one go.
  const byProblem = new Map<string, number[]>();
  for (const { line, problem } of bad) {
    const lines = byProblem.get(problem);
    if (lines) lines.push(line);
    else byProblem.set(problem, [line]);
  }
  const named = [...byProblem].map(([problem, lines]) => `${lineList(lines)}: ${problem}`).join('; ');
  const count = `${bad.length} bad task spec${bad.length === 1 ? '' : 's'}`;
  return new RdcError('RDC_TASK_FILE_INVALID', `${count} in the tasks file, nothing enqueued: ${named}`);
}

/** Most runs of line numbers one problem lists; past them, a count. */
const MAX_RUNS = 10;

/** "line 4", "lines 1–1500", "lines 2, 5, 9–12 and 40 more": ascending line numbers, runs joined. */
export function lineList(lines: readonly number[]): string {
  const runs: [number, number][] = [];
  for (const line of lines) {
    const last = runs.at(-1);
    if (last && line === last[1] + 1) last[1] = line;
    else runs.push([line, line]);
  }
  const shown = runs.slice(0, MAX_RUNS).map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`));
  const rest = runs.slice(MAX_RUNS).reduce((n, [a, b]) => n + b - a + 1, 0);
  const more = rest > 0 ? ` and ${rest} more` : '';
  return `line${lines.length === 1 ? '' : 's'} ${shown.join(', ')}${more}`;
}
