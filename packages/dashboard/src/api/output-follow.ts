// The `output` events of a page that follows one task: its live output as the bridge streams it (starting with
// the last 64 KiB already streamed, not the whole of a huge log), then `end` once the task finished. A task that
// finished before anything was streamed sends the tail of its stored output. Reads block on a connection of their
// own, which stop() closes at once.
import { isTerminal, type TaskView } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { duplicateRedis, lastOutputChunks, type OutputChunk, readOutputChunks } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { outputTail } from './output.js';
import type { SseStream } from './sse-stream.js';

const FIRST_TAIL_BYTES = 65_536;
/** How long one read waits for output before the task's status is looked at again. */
const BLOCK_MS = 1_000;

export interface OutputFollow {
  stop(): void;
  done: Promise<void>;
}

export function followOutput(client: RediaccClient, redis: Redis, first: TaskView, stream: SseStream): OutputFollow {
  const reader = duplicateRedis(redis, { maxRetriesPerRequest: null, enableOfflineQueue: true });
  reader.on('error', () => {});
  let stopped = false;
  const { taskId, team } = first;
  const decoder = new TextDecoder();
  const send = (chunk: OutputChunk, skip = 0) => {
    const text = decoder.decode(chunk.data.subarray(skip), { stream: true });
    if (text) stream.send('output', { taskId, offset: chunk.offset + skip, text });
  };
  const run = async () => {
    const initial = await lastOutputChunks(redis, team, taskId, FIRST_TAIL_BYTES);
    const size = initial.reduce((n, chunk) => n + chunk.data.length, 0);
    let streamed = initial.length > 0;
    let lastId = initial[initial.length - 1]?.id ?? '0';
    let skip = Math.max(0, size - FIRST_TAIL_BYTES);
    for (const chunk of initial) {
      const cut = Math.min(skip, chunk.data.length);
      skip -= cut;
      if (cut < chunk.data.length) send(chunk, cut);
    }
    let view = first;
    while (!stopped && stream.open) {
      const ended = isTerminal(view.status);
      const chunks = await readOutputChunks(reader, team, taskId, lastId, ended ? 0 : BLOCK_MS);
      for (const chunk of chunks) {
        lastId = chunk.id;
        streamed = true;
        send(chunk);
      }
      if (ended && chunks.length === 0) {
        if (!streamed && view.output) {
          const tail = await outputTail(redis, view, FIRST_TAIL_BYTES);
          stream.send('output', { taskId, offset: tail.offset, text: tail.text });
        }
        stream.send('end', { taskId, status: view.status });
        return;
      }
      view = await client.tasks.inspect(taskId);
    }
  };
  const done = run()
    .catch((error: unknown) => {
      if (!stopped) throw error;
    })
    .finally(() => reader.disconnect());
  return {
    stop() {
      stopped = true;
      reader.disconnect();
    },
    done,
  };
}
