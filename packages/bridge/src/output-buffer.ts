// Captured output, bounded: past the cap the head and the tail are kept and the cut is marked, so both the
// start of a run and how it ended survive a chatty command.

export class OutputBuffer {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private dropped = 0;

  constructor(private readonly capBytes: number) {}

  push(chunk: Buffer): void {
    const headRoom = Math.floor(this.capBytes / 2) - this.headBytes;
    if (headRoom > 0) {
      const part = chunk.subarray(0, headRoom);
      this.head.push(part);
      this.headBytes += part.length;
      chunk = chunk.subarray(part.length);
      if (chunk.length === 0) return;
    }
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    const tailCap = this.capBytes - Math.floor(this.capBytes / 2);
    while (this.tailBytes > tailCap) {
      const first = this.tail[0]!;
      const excess = this.tailBytes - tailCap;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
        this.dropped += first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
        this.dropped += excess;
      }
    }
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  toString(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    return this.dropped > 0 ? `${head}\n[… ${this.dropped} bytes of output truncated …]\n${tail}` : head + tail;
  }

  /** The last `bytes` of what was kept, for error messages. */
  last(bytes: number): string {
    const all = Buffer.concat([...this.head, ...this.tail]);
    return all.subarray(Math.max(0, all.length - bytes)).toString('utf8');
  }
}
