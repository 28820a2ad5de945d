// A run's output as stored with its result: at most the cap, and past it the head and the tail with the cut
// marked. Read from the spool in slices (readCapped), or cut from the whole output when it came with the run's
// end (capBuffer); both keep the same bytes.
import type { SpoolReader } from './spool-reader.js';

export interface CappedOutput {
  output: string;
  truncated: boolean;
  /** Bytes the run wrote in all. */
  bytes: number;
  /** When truncated: the head and tail kept, and how many bytes were cut between them. */
  parts?: { head: string; tail: string; cut: number };
}

/** The kept head and tail of an output with the cut marked. */
export function joinCut(head: string, tail: string, cut: number): string {
  return `${head}\n[… ${cut} bytes of output truncated …]\n${tail}`;
}

function cut(head: Buffer, tail: Buffer, size: number): CappedOutput {
  const parts = { head: head.toString('utf8'), tail: tail.toString('utf8'), cut: size - head.length - tail.length };
  return { output: joinCut(parts.head, parts.tail, parts.cut), truncated: true, bytes: size, parts };
}

/** The whole output in hand (it came with the run's end), capped as `readCapped` would. */
export function capBuffer(all: Buffer, capBytes: number): CappedOutput {
  if (all.length <= capBytes) return { output: all.toString('utf8'), truncated: false, bytes: all.length };
  const headBytes = Math.floor(capBytes / 2);
  return cut(all.subarray(0, headBytes), all.subarray(all.length - (capBytes - headBytes)), all.length);
}

/** The output read from the spool: the head first, then the rest or (past the cap) the tail. */
export async function readCapped(reader: SpoolReader, id: string, capBytes: number): Promise<CappedOutput> {
  const headBytes = Math.floor(capBytes / 2);
  const first = await reader.read(id, 0, Math.max(1, headBytes));
  const size = first.size;
  if (first.bytes.length >= size) {
    return { output: first.bytes.toString('utf8'), truncated: false, bytes: first.bytes.length };
  }
  if (size <= capBytes) {
    const rest = await reader.read(id, first.bytes.length, size - first.bytes.length);
    const all = Buffer.concat([first.bytes, rest.bytes]);
    return { output: all.toString('utf8'), truncated: false, bytes: all.length };
  }
  const tailBytes = capBytes - headBytes;
  const tail = (await reader.read(id, size - tailBytes, tailBytes)).bytes;
  return cut(first.bytes.subarray(0, headBytes), tail, size);
}
