// `create task --wait`: the task id goes to stderr first (a user can always find the task), a notice follows when
// no live bridge serves the team after a few seconds, and `--wait-timeout` ends the wait with exit 124, the task
// left queued. stdout carries only the task's output (or, with --json, one JSON document).
import { RdcError, type TaskView } from '@rediacc/core';
import type { CreatedTask, RediaccClient } from '@rediacc/producer';
import { printJson, printJsonLine, printNote, printText } from '../output.js';

/** Exit code of a wait that ran out, as timeout(1) uses. */
export const WAIT_TIMEOUT_EXIT = 124;

/** How long a wait runs before it checks for a live bridge: a bridge beats every 5 s and claims within one poll. */
const BRIDGE_NOTICE_MS = 3_000;

export interface WaitOptions {
  json: boolean;
  /** Seconds; undefined waits until the task ends. */
  waitTimeout: number | undefined;
}

/** Waits for a created task and prints it; returns the exit code to use. */
export async function waitForTask(client: RediaccClient, task: CreatedTask, options: WaitOptions): Promise<number> {
  printNote(`task ${task.taskId} queued in team ${task.team}; waiting for it to finish`);
  const notice = setTimeout(() => {
    noticeIfNoBridge(client, task).catch((error: unknown) =>
      printNote(`could not check the bridges of team ${task.team}: ${String(error)}`),
    );
  }, BRIDGE_NOTICE_MS);
  let view: TaskView;
  try {
    view = await client.tasks.wait(task.taskId, {
      ...(options.waitTimeout !== undefined && { timeoutMs: options.waitTimeout * 1000 }),
    });
  } catch (error) {
    if (!(error instanceof RdcError && error.code === 'RDC_TIMEOUT')) throw error;
    const now = await client.tasks.inspect(task.taskId);
    if (options.json) printJson(now);
    printNote(
      `task ${task.taskId} is still ${now.status} after --wait-timeout ${options.waitTimeout}s; ` +
        `${now.status === 'PENDING' ? 'it stays queued' : 'it goes on'} ` +
        `(rediacc inspect queue ${task.taskId}, or cancel queue ${task.taskId} --confirm)`,
    );
    return WAIT_TIMEOUT_EXIT;
  } finally {
    clearTimeout(notice);
  }
  if (options.json) printJson(view);
  else {
    if (view.output) printText(view.output.endsWith('\n') ? view.output : `${view.output}\n`);
    if (view.status !== 'COMPLETED') printNote(`task ${view.taskId} ${view.status}: ${view.error ?? ''}`);
  }
  return exitCodeOf(view);
}

async function noticeIfNoBridge(client: RediaccClient, task: CreatedTask): Promise<void> {
  if ((await client.bridges.live(task.team)).length > 0) return;
  const view = await client.tasks.inspect(task.taskId);
  if (view.status !== 'PENDING') return;
  printNote(
    `task ${task.taskId} is PENDING: no live bridge serves team ${task.team} (none has sent a heartbeat in the last ` +
      `15 s). Start one: rediacc bridge start --team ${task.team}. Still waiting; Ctrl-C stops waiting and ` +
      'leaves the task queued',
  );
}

/**
 * `inspect queue --follow`: prints a task's output as it arrives and its status changes (to stderr); returns the
 * exit code to use, WAIT_TIMEOUT_EXIT when `waitTimeout` ran out first (the task goes on).
 */
export async function followTask(client: RediaccClient, taskId: string, options: WaitOptions): Promise<number> {
  let last: TaskView | undefined;
  const events = client.tasks.watch(taskId);
  const deadline = options.waitTimeout === undefined ? undefined : Date.now() + options.waitTimeout * 1000;
  for (;;) {
    const next = events.next();
    const result = deadline === undefined ? await next : await beforeDeadline(next, deadline);
    if (result === undefined) {
      // Out of time while the watch reads: end it once that read settles, so its connection closes.
      next.then(() => events.return(undefined)).catch(() => {});
      printNote(
        `stopped following task ${taskId} after --wait-timeout ${options.waitTimeout}s; it goes on ` +
          `(${last?.status ?? 'status unknown'})`,
      );
      return WAIT_TIMEOUT_EXIT;
    }
    if (result.done) break;
    const event = result.value;
    if (options.json) {
      printJsonLine(event.type === 'status' ? { type: 'status', task: event.task } : event);
    } else if (event.type === 'output') {
      printText(event.data);
    } else {
      const where = event.task.bridge ? ` on ${event.task.bridge}` : '';
      const why = event.task.error ? `: ${event.task.error}` : '';
      printNote(`[task ${event.task.taskId} ${event.status}${where}${why}]`);
    }
    if (event.type === 'status') last = event.task;
  }
  return exitCodeOf(last);
}

/** `promise`'s value, or undefined once `deadline` (ms since the epoch) passed first. */
async function beforeDeadline<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** COMPLETED: 0; a failed command: its exit code; anything else that ended: 1. */
export function exitCodeOf(view: TaskView | undefined): number {
  if (view?.status === 'COMPLETED') return 0;
  return (view?.exitCode ?? 1) || 1;
}
