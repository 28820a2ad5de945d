// The agent's stdout framing: a run's small output travels after its exit line as a counted run of raw bytes, so
// any bytes at all come through, however the channel cuts the stream into chunks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventStream, exitFrame } from './event-stream.js';
import type { AgentEvent } from './events.js';

function received(chunks: Buffer[]): AgentEvent[] {
  const stream = new EventStream();
  const events: AgentEvent[] = [];
  stream.onEvent = (event) => events.push(event);
  for (const chunk of chunks) stream.push(chunk);
  return events;
}

/** `data` cut at the given points (any of them, in any order, duplicates allowed). */
function cutAt(data: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const to of [...at, data.length]) {
    chunks.push(data.subarray(from, to));
    from = to;
  }
  return chunks;
}

describe('the event stream', () => {
  it('hands any output bytes after an exit line through intact, between other events, however chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 600 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (outputs, points) => {
          const frames = outputs.flatMap((bytes, i) => [
            Buffer.from(`S r${i} ${100 + i}\n`),
            exitFrame(`r${i}`, i, Buffer.from(bytes)),
          ]);
          const events = received(cutAt(Buffer.concat([...frames, Buffer.from('P x absent\n')]), points));
          expect(events).toEqual([
            ...outputs.flatMap((bytes, i) => [
              { type: 'started', id: `r${i}`, pid: 100 + i },
              { type: 'exited', id: `r${i}`, code: i, bytes: bytes.length, output: Buffer.from(bytes) },
            ]),
            { type: 'probe', id: 'x', run: { state: 'absent' } },
          ]);
        },
      ),
    );
  });

  it('reads an exit line without a count as an end whose output is on the machine', () => {
    expect(received([exitFrame('r1', 3), Buffer.from('D r2 0 0\n')])).toEqual([
      { type: 'exited', id: 'r1', code: 3 },
      { type: 'exited', id: 'r2', code: 0, bytes: 0, output: Buffer.alloc(0) },
    ]);
  });

  it('keeps lines as text until it is given a handler (startup output is never read as a frame)', () => {
    const stream = new EventStream();
    stream.push(Buffer.from('D r1 0 4\nhello\n'));
    expect([stream.shift(), stream.shift(), stream.shift()]).toEqual(['D r1 0 4', 'hello', undefined]);
  });
});
