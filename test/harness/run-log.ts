// Commands that log when they start and end on the machine (the test host, so a shared file works), and
// the most runs that overlapped: an ordering check on the machine's own clock, not a timed assertion.
import { readFile } from 'node:fs/promises';

/** A shell command that appends `s LABEL ns` and `e LABEL ns` to `file` around `body`. */
export function loggedCommand(file: string, label: string, body: string): string {
  return `echo "s ${label} $(date +%s%N)" >> ${file}; ${body}; echo "e ${label} $(date +%s%N)" >> ${file}`;
}

/** The most runs in progress at once in `file`, over every label or only `label`. */
export async function maxOverlap(file: string, label?: string): Promise<number> {
  const events = (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([, l]) => label === undefined || l === label)
    .map(([kind, , ns]) => ({ start: kind === 's', at: BigInt(ns ?? '0') }))
    // At the same instant an end comes before a start: those two runs did not overlap.
    .sort((a, b) => (a.at === b.at ? Number(a.start) - Number(b.start) : a.at < b.at ? -1 : 1));
  let running = 0;
  let most = 0;
  for (const event of events) {
    running += event.start ? 1 : -1;
    most = Math.max(most, running);
  }
  return most;
}

/** A command that keeps its slot busy for up to `seconds` (like `sleep 30`), ending early once `stopFile` exists. */
export function holdCommand(stopFile: string, seconds = 30): string {
  return `i=0; while [ ! -e ${stopFile} ] && [ $i -lt ${seconds * 10} ]; do sleep 0.1; i=$((i+1)); done`;
}
