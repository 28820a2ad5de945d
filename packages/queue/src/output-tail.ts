// The end of a running task's live output, for the console: the newest chunks of its output stream, read from the
// newest end back until `bytes` are covered (a few entries per round trip), never the whole stream.

import { registryKeys } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { chunkOf, type OutputChunk } from './output-stream.js';

const BATCH = 16;

/** The newest chunks holding at least the last `bytes` bytes streamed (fewer when less was), oldest first. */
export async function lastOutputChunks(
  redis: Redis,
  team: string,
  taskId: string,
  bytes: number,
): Promise<OutputChunk[]> {
  const key = registryKeys.output(team, taskId);
  const chunks: OutputChunk[] = [];
  let covered = 0;
  let end = '+';
  for (;;) {
    const entries = await redis.xrevrangeBuffer(key, end, '-', 'COUNT', BATCH);
    for (const entry of entries) {
      const chunk = chunkOf(entry);
      if (!chunk) continue;
      chunks.push(chunk);
      covered += chunk.data.length;
      if (covered >= bytes) return chunks.reverse();
    }
    if (entries.length < BATCH) return chunks.reverse();
    end = `(${entries[entries.length - 1]![0].toString()}`;
  }
}
