// Following a task: its status changes and its output as the bridge streams it from the machine, until it ends.
// A task that ends before any output was streamed (short commands) yields its stored output at the end.
import { isTerminal, RdcError, type TaskStatus, type TaskView } from '@rediacc/core';
import { duplicateRedis, readOutputChunks } from '@rediacc/queue';
import type { Redis } from 'ioredis';

export type TaskEvent =
  | { type: 'status'; status: TaskStatus; task: TaskView }
  /** Output as it arrived (stdout and stderr interleaved), decoded as UTF-8 across chunk boundaries. */
  | { type: 'output'; data: string };

export interface WatchDeps {
  redis: Redis;
  team: string;
  taskId: string;
  view: () => Promise<TaskView | undefined>;
  /** How often the status is read while no output arrives. */
  pollMs: number;
}

export async function* watchTask(deps: WatchDeps): AsyncGenerator<TaskEvent, void, undefined> {
  // Blocking reads get a connection of their own.
  const reader = duplicateRedis(deps.redis, { maxRetriesPerRequest: null, enableOfflineQueue: true });
  reader.on('error', () => {});
  const decoder = new TextDecoder();
  let lastId = '0';
  let lastStatus: TaskStatus | undefined;
  let streamed = false;
  try {
    for (;;) {
      const task = await deps.view();
      if (!task) throw new RdcError('RDC_TASK_UNKNOWN', `task ${deps.taskId} was removed while watching it`);
      const ended = isTerminal(task.status);
      // The final status comes after the output it ended with, so a reader sees the output first.
      if (!ended && task.status !== lastStatus) {
        lastStatus = task.status;
        yield { type: 'status', status: task.status, task };
      }
      // While it runs, wait for output up to pollMs; once it ended, drain what is left.
      const chunks = await readOutputChunks(reader, deps.team, deps.taskId, lastId, ended ? 0 : deps.pollMs);
      for (const chunk of chunks) {
        lastId = chunk.id;
        streamed = true;
        const data = decoder.decode(chunk.data, { stream: true });
        if (data) yield { type: 'output', data };
      }
      if (!ended || chunks.length > 0) continue;
      const rest = decoder.decode();
      if (rest) yield { type: 'output', data: rest };
      if (!streamed && task.output) yield { type: 'output', data: task.output };
      yield { type: 'status', status: task.status, task };
      return;
    }
  } finally {
    reader.disconnect();
  }
}
