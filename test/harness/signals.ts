// Signals sent by tests, guarded: a pid of 0, 1, a negative number or NaN (a `pid ?? 0` of a process that is not
// running) would signal the test runner's own process group, init or every process, and a liveness probe of such a
// pid would pass or fail for the wrong process. Every helper here throws before signalling anything of the kind,
// and never signals the test runner itself, one of its ancestors, or their process groups.
import { readdirSync, readFileSync } from 'node:fs';

/** `pid (comm) state ppid pgrp …` of /proc/PID/stat, read after the last ")" since comm may hold spaces. */
function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** This process and its ancestors up to init, with their process groups: what a test must never signal. */
function runnerProcesses(): { pids: Set<number>; groups: Set<number> } {
  const pids = new Set<number>();
  const groups = new Set<number>();
  for (let pid = process.pid; pid > 1 && !pids.has(pid); ) {
    pids.add(pid);
    const fields = statFields(pid);
    if (!fields) break;
    groups.add(Number(fields[2]));
    pid = Number(fields[1]);
  }
  return { pids, groups };
}

/** Returns `pid` when a test may signal it; throws naming `what` when it is missing, special or the runner's. */
export function signalTarget(pid: number | undefined, what: string): number {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1) {
    throw new Error(`refusing to signal ${what}: pid ${pid} is not a process of this test (is it running?)`);
  }
  if (runnerProcesses().pids.has(pid)) {
    throw new Error(`refusing to signal ${what}: pid ${pid} is the test runner or one of its ancestors`);
  }
  return pid;
}

/** Sends `signal` to one process; false when it has ended meanwhile. */
export function signalProcess(pid: number | undefined, signal: NodeJS.Signals, what: string): boolean {
  const target = signalTarget(pid, what);
  try {
    process.kill(target, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to a whole process group (`kill -- -PGID`); refuses the runner's groups. */
export function signalGroup(pgid: number | undefined, signal: NodeJS.Signals, what: string): void {
  const target = signalTarget(pgid, what);
  if (runnerProcesses().groups.has(target)) {
    throw new Error(`refusing to signal ${what}: process group ${target} holds the test runner`);
  }
  process.kill(-target, signal);
}

/** Whether a process still exists (signal 0). Throws for a pid no test process can have, rather than guess. */
export function alive(pid: number | undefined, what = 'a process'): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1) {
    throw new Error(`cannot tell whether ${what} is alive: pid ${pid} is not a process of this test`);
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process below `root` (by parent pid, read from /proc). */
export function descendants(root: number | undefined, what = 'a process'): number[] {
  const top = signalTarget(root, what);
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = Number(statFields(Number(entry))?.[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(top);
  return out;
}
