// A task's output for the console: its tail (GET …/output?tail=BYTES), from the live stream while the command runs
// and from the stored result once it finished, and the whole stored text as a download (GET …/output.txt). Both
// are masked as stored: the bridge replaced every secret before the output reached Redis.
import { isTerminal, parseInput, type TaskView } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { lastOutputChunks, OUTPUT_CHUNK_BYTES, OUTPUT_STREAM_CHUNKS } from '@rediacc/queue';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { principalOf } from './access.js';
import { visibleTask } from './task-view.js';

export const MAX_TAIL_BYTES = 1_048_576;

const tailQuerySchema = z.object({
  tail: z.coerce
    .number()
    .int()
    .min(1, `tail must be 1 to ${MAX_TAIL_BYTES} bytes`)
    .max(MAX_TAIL_BYTES, `tail must be 1 to ${MAX_TAIL_BYTES} bytes`)
    .default(65_536),
});

export interface OutputTail {
  text: string;
  /** Byte offset in the output where `text` starts. */
  offset: number;
  /** Byte offset where the output read so far ends. */
  end: number;
  /** `text` is not the whole output (it starts after 0, or the stored output was cut by the bridge). */
  truncated: boolean;
  /** The task has finished: the output will not grow. */
  done: boolean;
}

export function registerOutputRoutes(app: FastifyInstance, client: RediaccClient, redis: Redis): void {
  app.get<{ Params: { taskId: string } }>('/api/tasks/:taskId/output', async (request) => {
    const { tail } = parseInput(tailQuerySchema, request.query, 'output query');
    const view = await visibleTask(client, principalOf(request), request.params.taskId);
    return outputTail(redis, view, tail);
  });

  app.get<{ Params: { taskId: string } }>('/api/tasks/:taskId/output.txt', async (request, reply) => {
    const view = await visibleTask(client, principalOf(request), request.params.taskId);
    const text = await wholeOutput(redis, view);
    return reply
      .type('text/plain; charset=utf-8')
      .header('content-disposition', `attachment; filename="${view.taskId}.txt"`)
      .send(text);
  });
}

export async function outputTail(redis: Redis, view: TaskView, tail: number): Promise<OutputTail> {
  const done = isTerminal(view.status);
  if (view.output !== null && (done || view.output.length > 0)) {
    const bytes = Buffer.from(view.output);
    const cut = charStart(bytes, Math.max(0, bytes.length - tail));
    const text = bytes.subarray(cut).toString();
    return { text, offset: cut, end: bytes.length, truncated: cut > 0 || view.outputTruncated, done };
  }
  const chunks = await lastOutputChunks(redis, view.team, view.taskId, tail);
  const first = chunks[0];
  const last = chunks[chunks.length - 1];
  if (!first || !last) return { text: '', offset: 0, end: 0, truncated: false, done };
  const joined = Buffer.concat(chunks.map((chunk) => chunk.data));
  const cut = charStart(joined, Math.max(0, joined.length - tail));
  const offset = first.offset + cut;
  const end = last.rawEnd ?? last.offset + last.data.length;
  return { text: joined.subarray(cut).toString(), offset, end, truncated: offset > 0, done };
}

/** The stored output, or what the live stream still holds while the task runs. */
async function wholeOutput(redis: Redis, view: TaskView): Promise<string> {
  if (view.output !== null) return view.output;
  const all = await lastOutputChunks(redis, view.team, view.taskId, OUTPUT_STREAM_CHUNKS * OUTPUT_CHUNK_BYTES * 2);
  return Buffer.concat(all.map((chunk) => chunk.data)).toString();
}

/** The first index at or after `at` that starts a UTF-8 character (continuation bytes are 10xxxxxx). */
function charStart(bytes: Buffer, at: number): number {
  let i = at;
  while (i < bytes.length && ((bytes[i] ?? 0) & 0xc0) === 0x80) i += 1;
  return i;
}
