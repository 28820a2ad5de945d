// Live output of a run: while it runs (once it has run STREAM_AFTER_MS), new bytes of its spool are read from
// the machine a bounded amount at a time, masked, and handed on in order; the masker holds back what could be the
// start of a secret until the next read or the end.
import type { MaskedPart, OutputMasker } from '@rediacc/core';
import type { RemoteAgent } from '../agent/index.js';

const STREAM_AFTER_MS = 500;
const STREAM_READ_BYTES = 256 * 1024;
const STREAM_READS_PER_ROUND = 4;

export interface StreamOptions {
  taskId: string;
  /** Receives masked chunks in order; `chunk` stands for the raw output from `offset` to `rawEnd`. */
  onOutput?: ((offset: number, chunk: Buffer, rawEnd: number) => Promise<void>) | undefined;
  /** Raw byte offset where an earlier holder stopped streaming. */
  streamFrom?: number | undefined;
  streamEveryMs?: number | undefined;
}

/** Streams a run's new output while it runs (when someone asked for live output), and once more at its end. */
export class OutputStreamer {
  /** Raw bytes read so far. */
  private offset: number;
  /** Raw bytes whose (masked) output was emitted; the masker holds the rest back. */
  private emitted: number;
  private streamed = false;
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly o: StreamOptions,
    private readonly masker: OutputMasker,
  ) {
    this.offset = o.streamFrom ?? 0;
    this.emitted = this.offset;
    this.streamed = this.offset > 0;
  }

  async during<T>(agent: RemoteAgent, wait: () => Promise<T>): Promise<T> {
    if (!this.o.onOutput) return wait();
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const tick = () => {
      this.reading = this.pull(agent).then(
        () => {
          if (!stopped) timer = setTimeout(tick, this.o.streamEveryMs ?? STREAM_AFTER_MS);
        },
        () => {}, // the wait sees a lost agent itself
      );
    };
    timer = setTimeout(tick, STREAM_AFTER_MS);
    try {
      return await wait();
    } finally {
      stopped = true;
      clearTimeout(timer);
      await this.reading;
    }
  }

  /**
   * After the end: the rest of the output, if any of it was streamed (short runs never stream). `whole`: the
   * run's whole output when it came with its end, so the rest is cut from it instead of read from the machine.
   */
  async flush(agent: RemoteAgent, whole?: Buffer): Promise<void> {
    if (!this.streamed) return;
    if (whole && whole.length >= this.offset) {
      const rest = whole.subarray(this.offset);
      this.offset = whole.length;
      if (rest.length > 0) await this.emit(this.masker.push(rest));
    } else await this.pull(agent);
    await this.emit(this.masker.end());
  }

  private async emit(part: MaskedPart): Promise<void> {
    if (part.raw === 0 || !this.o.onOutput) return;
    const from = this.emitted;
    this.emitted += part.raw;
    await this.o.onOutput(from, part.data, this.emitted);
  }

  private async pull(agent: RemoteAgent): Promise<void> {
    const onOutput = this.o.onOutput;
    if (!onOutput) return;
    // Bounded per round: a command that floods its output must not keep the bridge reading (the result keeps
    // the head and the tail anyway).
    for (let round = 0; round < STREAM_READS_PER_ROUND; round++) {
      const chunk = await agent.readFrom(this.o.taskId, this.offset, STREAM_READ_BYTES);
      if (chunk.length === 0) return;
      this.streamed = true;
      this.offset += chunk.length;
      await this.emit(this.masker.push(chunk));
      if (chunk.length < STREAM_READ_BYTES) return;
    }
  }
}
