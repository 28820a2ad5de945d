// Live output of running tasks: chunks of a run's stdout+stderr as the bridge reads them from the machine, in a
// capped stream per task, so `tasks.watch` and `inspect --follow` can print them while the command runs. Every
// chunk carries its byte offset in the run's output: a bridge that re-attaches continues where the last one
// stopped, without repeating anything. The final output stays in the task's result; this stream expires.

import { registryKeys } from '@rediacc/core';
import type { Redis } from 'ioredis';

/** Chunks kept per task (about; each chunk is at most OUTPUT_CHUNK_BYTES). */
export const OUTPUT_STREAM_CHUNKS = 64;
export const OUTPUT_CHUNK_BYTES = 64 * 1024;
/** The live stream outlives its task by this long; the result keeps the output for `inspect`. */
export const OUTPUT_STREAM_TTL_SECONDS = 3_600;

export interface OutputChunk {
  /** Stream entry id, to read on from. */
  id: string;
  /** Byte offset of `data` in the run's output. */
  offset: number;
  data: Buffer;
  /** Where in the raw output this chunk ends, when masking made it shorter or longer. */
  rawEnd?: number;
}

/**
 * Appends `data`, which starts at byte `offset` of the run's raw output. Masked output (secrets replaced) is not
 * as long as the raw bytes it stands for: `rawEnd` then says where in the raw output it ends, so a bridge that
 * re-attaches reads on from there.
 */
export async function appendOutput(
  redis: Redis,
  team: string,
  taskId: string,
  offset: number,
  data: Buffer,
  rawEnd = offset + data.length,
) {
  const key = registryKeys.output(team, taskId);
  const pipeline = redis.multi();
  for (let at = 0; at < data.length; at += OUTPUT_CHUNK_BYTES) {
    const part = data.subarray(at, at + OUTPUT_CHUNK_BYTES);
    const last = at + OUTPUT_CHUNK_BYTES >= data.length;
    const end = last && rawEnd !== offset + data.length ? ['e', String(rawEnd)] : [];
    pipeline.xadd(key, 'MAXLEN', '~', OUTPUT_STREAM_CHUNKS, '*', 'o', String(offset + at), 'd', part, ...end);
  }
  await pipeline.expire(key, OUTPUT_STREAM_TTL_SECONDS).exec();
}

/** Where the output streamed so far ends (0 when nothing was streamed). */
export async function streamedOutputEnd(redis: Redis, team: string, taskId: string): Promise<number> {
  const [last] = await redis.xrevrangeBuffer(registryKeys.output(team, taskId), '+', '-', 'COUNT', 1);
  return streamEndOf(last);
}

/** Where the raw output a stream's last entry stands for ends (0 without one). */
export function streamEndOf(last: [Buffer, Buffer[]] | undefined): number {
  const chunk = last ? chunkOf(last) : undefined;
  return chunk ? (chunk.rawEnd ?? chunk.offset + chunk.data.length) : 0;
}

/**
 * Chunks after entry `afterId` ('0' for all). With `blockMs` > 0 it waits that long for one when there is none
 * yet (use a connection of its own: a blocked connection serves nothing else meanwhile).
 */
export async function readOutputChunks(
  redis: Redis,
  team: string,
  taskId: string,
  afterId: string,
  blockMs = 0,
): Promise<OutputChunk[]> {
  const key = registryKeys.output(team, taskId);
  const reply =
    blockMs > 0
      ? await redis.xreadBuffer('COUNT', OUTPUT_STREAM_CHUNKS, 'BLOCK', blockMs, 'STREAMS', key, afterId)
      : await redis.xreadBuffer('COUNT', OUTPUT_STREAM_CHUNKS, 'STREAMS', key, afterId);
  if (!reply) return [];
  return reply.flatMap(([, entries]) => entries.flatMap((entry) => chunkOf(entry) ?? []));
}

/** One stream entry as a chunk; undefined for an entry that is not one. */
export function chunkOf([id, fields]: [Buffer, Buffer[]]): OutputChunk | undefined {
  let offset: number | undefined;
  let data: Buffer | undefined;
  let rawEnd: number | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]?.toString();
    if (name === 'o') offset = Number(fields[i + 1]?.toString());
    else if (name === 'd') data = fields[i + 1];
    else if (name === 'e') rawEnd = Number(fields[i + 1]?.toString());
  }
  if (offset === undefined || !Number.isSafeInteger(offset) || !data) return undefined;
  return {
    id: id.toString(),
    offset,
    data,
    ...(rawEnd !== undefined && Number.isSafeInteger(rawEnd) && { rawEnd }),
  };
}
