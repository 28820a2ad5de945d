// `create task --wait`: the task id goes to stderr first (a user can always find the task), a notice follows when
// no live bridge serves the team after a few seconds, and `--wait-timeout` ends the wait with exit 124, the task
// left queued. stdout carries only the task's output (or, with --json, one JSON document).
import { RdcError, type TaskView } from '@rediacc/core';
import type { CreatedTask, RediaccClient } from '@rediacc/producer';
import { printJson } from '../output.js';

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
  process.stderr.write(`task ${task.taskId} queued in team ${task.team}; waiting for it to finish\n`);
  const notice = setTimeout(() => {
    noticeIfNoBridge(client, task).catch((error: unknown) =>
      process.stderr.write(`could not check the bridges of team ${task.team}: ${String(error)}\n`),
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
    process.stderr.write(
      `task ${task.taskId} is still ${now.status} after --wait-timeout ${options.waitTimeout}s; it stays queued ` +
        `(rediacc inspect queue ${task.taskId}, or cancel queue ${task.taskId} --confirm)\n`,
    );
    return WAIT_TIMEOUT_EXIT;
  } finally {
    clearTimeout(notice);
  }
  if (options.json) printJson(view);
  else {
    if (view.output) process.stdout.write(view.output.endsWith('\n') ? view.output : `${view.output}\n`);
    if (view.status !== 'COMPLETED') process.stderr.write(`task ${view.taskId} ${view.status}: ${view.error ?? ''}\n`);
  }
  return exitCodeOf(view);
}

async function noticeIfNoBridge(client: RediaccClient, task: CreatedTask): Promise<void> {
  if ((await client.bridges.live(task.team)).length > 0) return;
  const view = await client.tasks.inspect(task.taskId);
  if (view.status !== 'PENDING') return;
  process.stderr.write(
    `task ${task.taskId} is PENDING: no live bridge serves team ${task.team} (none has sent a heartbeat in the last ` +
      `15 s). Start one: rediacc bridge start --team ${task.team}. Still waiting; Ctrl-C stops waiting and ` +
      'leaves the task queued\n',
  );
}

/** COMPLETED: 0; a failed command: its exit code; anything else that ended: 1. */
export function exitCodeOf(view: TaskView | undefined): number {
  if (view?.status === 'COMPLETED') return 0;
  return (view?.exitCode ?? 1) || 1;
}
