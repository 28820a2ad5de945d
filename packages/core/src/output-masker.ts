// Masks secret values in a command's output: every occurrence becomes "***", in the stored result and in the live
// stream. Streamed output arrives in chunks, so a secret may be split between two: the masker holds back the last
// (longest secret − 1) bytes of what it has seen until the next chunk (or the end) tells whether they start a
// secret. Streamed and whole masking give the same bytes. Works on bytes, so a chunk may end inside a UTF-8 char.
// Values shorter than MIN_MASKED_BYTES are not masked: "***" for every "a" would make the output unreadable.

export const MASK = '***';
export const MIN_MASKED_BYTES = 4;

const MASK_BYTES = Buffer.from(MASK);

export interface MaskedPart {
  /** Masked bytes, safe to store or show. */
  data: Buffer;
  /** How many bytes of the raw output `data` stands for. */
  raw: number;
}

export class OutputMasker {
  private readonly secrets: Buffer[];
  private readonly firstBytes: Uint8Array;
  private readonly longest: number;
  private held: Buffer = Buffer.alloc(0);

  constructor(values: readonly string[]) {
    const unique = [...new Set(values)].filter((v) => Buffer.byteLength(v) >= MIN_MASKED_BYTES);
    // Longest first: where two secrets start at one position, the longer one is masked whole.
    this.secrets = unique.map((v) => Buffer.from(v)).sort((a, b) => b.length - a.length);
    this.longest = this.secrets[0]?.length ?? 0;
    this.firstBytes = new Uint8Array(256);
    for (const s of this.secrets) this.firstBytes[s[0] ?? 0] = 1;
  }

  /** Whether there is anything to mask at all. */
  get active(): boolean {
    return this.secrets.length > 0;
  }

  /** Masks a whole output at once. */
  maskText(text: string): string {
    if (!this.active) return text;
    return this.scan(Buffer.from(text), true).data.toString('utf8');
  }

  /**
   * Masks one side of a cut (truncated output keeps a head and a tail): besides whole secrets, the start of a
   * secret at the end of the head, or the end of one at the start of the tail, is masked too.
   */
  maskEdge(text: string, cutAt: 'end' | 'start'): string {
    if (!this.active) return text;
    const bytes = Buffer.from(text);
    const masked = this.scan(bytes, true).data;
    let partial = 0;
    for (const secret of this.secrets) {
      for (let n = Math.min(secret.length - 1, masked.length); n > partial; n--) {
        const piece = cutAt === 'end' ? secret.subarray(0, n) : secret.subarray(secret.length - n);
        const edge = cutAt === 'end' ? masked.subarray(masked.length - n) : masked.subarray(0, n);
        if (piece.equals(edge)) {
          partial = n;
          break;
        }
      }
    }
    if (partial === 0) return masked.toString('utf8');
    return cutAt === 'end'
      ? Buffer.concat([masked.subarray(0, masked.length - partial), MASK_BYTES]).toString('utf8')
      : Buffer.concat([MASK_BYTES, masked.subarray(partial)]).toString('utf8');
  }

  /** The next raw chunk: returns what can be emitted now; the rest is held for the next chunk or `end`. */
  push(chunk: Buffer): MaskedPart {
    if (!this.active) return { data: chunk, raw: chunk.length };
    const buffer = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    const part = this.scan(buffer, false);
    this.held = Buffer.from(buffer.subarray(part.raw));
    return part;
  }

  /** The output ended: everything held, masked. */
  end(): MaskedPart {
    const part = this.scan(this.held, true);
    this.held = Buffer.alloc(0);
    return part;
  }

  /**
   * Left to right: at each position, the longest secret that starts there is replaced. Not final: stops at the
   * first position where a secret could start but not fit in the buffer yet (what follows decides).
   */
  private scan(buffer: Buffer, final: boolean): MaskedPart {
    const out: Buffer[] = [];
    let copied = 0;
    let i = 0;
    for (; i < buffer.length; ) {
      if (!final && i + this.longest > buffer.length) break;
      const match = this.firstBytes[buffer[i] ?? 0] ? this.matchAt(buffer, i) : 0;
      if (match === 0) {
        i++;
        continue;
      }
      if (i > copied) out.push(buffer.subarray(copied, i));
      out.push(MASK_BYTES);
      i += match;
      copied = i;
    }
    if (i > copied) out.push(buffer.subarray(copied, i));
    return { data: Buffer.concat(out), raw: i };
  }

  private matchAt(buffer: Buffer, at: number): number {
    for (const secret of this.secrets) {
      if (
        at + secret.length <= buffer.length &&
        buffer.compare(secret, 0, secret.length, at, at + secret.length) === 0
      ) {
        return secret.length;
      }
    }
    return 0;
  }
}
