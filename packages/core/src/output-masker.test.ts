import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MASK, MIN_MASKED_BYTES, OutputMasker } from './output-masker.js';

/** Feeds `text` to a fresh masker in chunks cut at `cuts` (byte positions), returns the streamed result. */
function streamed(secrets: string[], text: string, cuts: number[]): { text: string; raw: number } {
  const masker = new OutputMasker(secrets);
  const bytes = Buffer.from(text);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let raw = 0;
  let from = 0;
  for (const to of [...points, bytes.length]) {
    const part = masker.push(bytes.subarray(from, to));
    parts.push(part.data);
    raw += part.raw;
    from = to;
  }
  const last = masker.end();
  parts.push(last.data);
  raw += last.raw;
  return { text: Buffer.concat(parts).toString('utf8'), raw };
}

// Small alphabets make secrets occur (and overlap) in random output often; '*' is left out so a mask cannot
// combine with its neighbours into something that looks like a secret.
const char = fc.constantFrom('a', 'b', 'c', 'x', 'é', '\n');
const secret = fc.string({ unit: char, minLength: MIN_MASKED_BYTES, maxLength: 12 });
const output = (secrets: string[]) =>
  fc
    .array(fc.oneof(fc.string({ unit: char, maxLength: 6 }), fc.constantFrom(...secrets)), { maxLength: 40 })
    .map((parts) => parts.join(''));

describe('OutputMasker', () => {
  it('masks every occurrence of a secret, like split/join for one secret', () => {
    fc.assert(
      fc.property(
        secret.chain((s) => fc.tuple(fc.constant(s), output([s]))),
        ([s, text]) => {
          expect(new OutputMasker([s]).maskText(text)).toBe(text.split(s).join(MASK));
        },
      ),
    );
  });

  it('streams the same bytes as masking the whole output, wherever the chunks are cut', () => {
    fc.assert(
      fc.property(
        fc
          .array(secret, { minLength: 1, maxLength: 4 })
          .chain((secrets) =>
            fc.tuple(fc.constant(secrets), output(secrets), fc.array(fc.nat(2_000), { maxLength: 12 })),
          ),
        ([secrets, text, cuts]) => {
          const whole = new OutputMasker(secrets).maskText(text);
          const result = streamed(secrets, text, cuts);
          expect(result.text).toBe(whole);
          expect(result.raw).toBe(Buffer.byteLength(text));
          for (const s of secrets) expect(whole).not.toContain(s);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('masks a secret split across two chunks, and one split byte by byte', () => {
    const s = 'SENTINEL-split-4711';
    const text = `before ${s} after`;
    expect(streamed([s], text, [10]).text).toBe(`before ${MASK} after`);
    expect(
      streamed(
        [s],
        text,
        Array.from({ length: text.length }, (_, i) => i),
      ).text,
    ).toBe(`before ${MASK} after`);
  });

  it('holds back at most the longest secret minus one byte', () => {
    const masker = new OutputMasker(['abcdef', 'wxyz']);
    const part = masker.push(Buffer.from('0123456789abc'));
    expect(part.data.toString()).toBe('01234567');
    expect(part.raw).toBe(8);
    expect(masker.push(Buffer.from('def!')).data.toString()).toBe('89***');
    expect(masker.end().data.toString()).toBe('!');
  });

  it('masks the longer of two secrets that start at one place, and leaves short values alone', () => {
    expect(new OutputMasker(['abcd', 'abcdefgh']).maskText('xabcdefghx abcdx')).toBe(`x${MASK}x ${MASK}x`);
    expect(new OutputMasker(['abc']).maskText('abc abc')).toBe('abc abc');
    const none = new OutputMasker([]);
    expect(none.active).toBe(false);
    expect(none.push(Buffer.from('plain')).data.toString()).toBe('plain');
  });

  it('masks the part of a secret that a truncation cut leaves on either side', () => {
    const masker = new OutputMasker(['SENTINEL-cut']);
    expect(masker.maskEdge('head ends SENTI', 'end')).toBe(`head ends ${MASK}`);
    expect(masker.maskEdge('NEL-cut tail', 'start')).toBe(`${MASK} tail`);
    expect(masker.maskEdge('whole SENTINEL-cut here', 'end')).toBe(`whole ${MASK} here`);
    expect(masker.maskEdge('nothing here', 'start')).toBe('nothing here');
  });

  it('leaves no secret prefix at the end of a head, nor a suffix at the start of a tail', () => {
    fc.assert(
      fc.property(
        secret.chain((s) => fc.tuple(fc.constant(s), output([s]), fc.nat(s.length))),
        ([s, text, n]) => {
          const masker = new OutputMasker([s]);
          const head = masker.maskEdge(text + s.slice(0, n), 'end');
          const tail = masker.maskEdge(s.slice(s.length - n) + text, 'start');
          for (let k = 1; k < s.length; k++) {
            expect(head.endsWith(s.slice(0, k)), `head ends with ${k} bytes of the secret`).toBe(false);
            expect(tail.startsWith(s.slice(s.length - k)), `tail starts with ${k} bytes of it`).toBe(false);
          }
          expect(head).not.toContain(s);
          expect(tail).not.toContain(s);
        },
      ),
    );
  });
});
