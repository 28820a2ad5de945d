// A small output that came with its run's end is capped exactly as one read from the spool: same head, tail, cut.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capBuffer, readCapped } from './output-cap.js';
import type { SpoolReader } from './spool-reader.js';

/** A spool reader over bytes in memory, answering as both real readers do. */
function readerOf(spool: Buffer): SpoolReader {
  return {
    via: 'agent',
    read: async (_id, offset, max) => ({ size: spool.length, bytes: spool.subarray(offset, offset + max) }),
    close: () => {},
  };
}

describe('capping an output', () => {
  it('keeps the same bytes whether the output came with the end or was read from the spool', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 2, max: 300 }), async (bytes, cap) => {
        const spool = Buffer.from(bytes);
        expect(capBuffer(spool, cap)).toEqual(await readCapped(readerOf(spool), 'r1', cap));
      }),
    );
  });

  it('marks the cut past the cap', () => {
    expect(capBuffer(Buffer.from('0123456789'), 4)).toMatchObject({
      truncated: true,
      bytes: 10,
      parts: { head: '01', tail: '89', cut: 6 },
    });
  });
});
