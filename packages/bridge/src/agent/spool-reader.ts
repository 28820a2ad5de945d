// Reading a run's output spool (ID.out in the agent's run directory) from the bridge, two ways behind one
// interface: over the connection's SFTP session when the machine's sshd offers one (nothing runs on the
// machine), else as frames the agent itself writes on its exec channel's stderr (agent.sh, `o`). Which one is
// decided once per connection, at its first read (FirstReadSpoolReader). Either way the reader is stateless: the
// offset a caller reads from is the caller's own (the output streamer's), the single source of truth for how far it got.
import type { SFTPWrapper } from 'ssh2';
import { framesMarker, readLine } from './script.js';

export interface SpoolSlice {
  /** The spool's size when it was read: 0 when the run wrote nothing (or there is no spool). */
  size: number;
  /** Up to the bytes asked for, from the offset asked for. */
  bytes: Buffer;
}

export interface SpoolReader {
  /** How output is read: not decided until the first read. */
  readonly via: 'sftp' | 'agent' | 'undecided';
  read(id: string, offset: number, max: number): Promise<SpoolSlice>;
  close(): void;
}

const SFTP_CHUNK = 32 * 1024;

export class SftpSpoolReader implements SpoolReader {
  readonly via = 'sftp';

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly dir: string,
  ) {}

  async read(id: string, offset: number, max: number): Promise<SpoolSlice> {
    const handle = await sftpCall<Buffer>((cb) => this.sftp.open(`${this.dir}/${id}.out`, 'r', cb)).catch(
      (error: unknown) => {
        if ((error as { code?: number }).code === 2) return undefined; // no such file: the run wrote nothing
        throw error;
      },
    );
    if (!handle) return { size: 0, bytes: Buffer.alloc(0) };
    try {
      const { size } = await sftpCall<{ size: number }>((cb) => this.sftp.fstat(handle, cb));
      return { size, bytes: await this.readAt(handle, offset, Math.max(0, Math.min(max, size - offset))) };
    } finally {
      this.sftp.close(handle, () => {});
    }
  }

  close(): void {
    this.sftp.end();
  }

  private async readAt(handle: Buffer, position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const want = Math.min(SFTP_CHUNK, length - filled);
      const got = await sftpCall<number>((cb) =>
        this.sftp.read(handle, buffer, filled, want, position + filled, (err, n) => cb(err, n)),
      ).catch((error: unknown) => {
        if ((error as { code?: number }).code === 1) return 0; // EOF: the file is shorter than it was
        throw error;
      });
      if (got === 0) break;
      filled += got;
    }
    return buffer.subarray(0, filled);
  }
}

/**
 * Opens the connection's SFTP session at the first read, and reads through it, or through the agent's frames when
 * sshd has no SFTP subsystem. Most runs never need a read (a small output comes with the run's end), so a
 * connection whose runs all end that way never opens the session: no channel, no sshd process, no round trips
 * before its first run.
 */
export class FirstReadSpoolReader implements SpoolReader {
  private chosen: Promise<SpoolReader> | undefined;
  private current: SpoolReader | undefined;
  private closed = false;

  constructor(
    /** Resolves with the session, or undefined when sshd offers none. */
    private readonly openSftp: () => Promise<SFTPWrapper | undefined>,
    private readonly dir: string,
    private readonly frames: AgentSpoolReader,
    /** Called when the frames become the way to read (the agent must then answer `o`). */
    private readonly onFrames: () => void,
  ) {}

  get via(): SpoolReader['via'] {
    return this.current?.via ?? 'undecided';
  }

  read(id: string, offset: number, max: number): Promise<SpoolSlice> {
    this.chosen ??= this.choose();
    return this.chosen.then((reader) => reader.read(id, offset, max));
  }

  close(): void {
    this.closed = true;
    if (this.current) this.current.close();
    else this.frames.close();
  }

  /** The agent is gone: reads through its frames, waiting or later, reject with `error`. */
  fail(error: Error): void {
    this.frames.fail(error);
  }

  private async choose(): Promise<SpoolReader> {
    const sftp = this.closed ? undefined : await this.openSftp();
    let reader: SpoolReader;
    if (sftp) reader = new SftpSpoolReader(sftp, this.dir);
    else {
      this.onFrames();
      reader = this.frames;
    }
    this.current = reader;
    if (this.closed) reader.close();
    return reader;
  }
}

const FRAME_HEADER = /^([A-Za-z0-9-]+) (\d+) (\d+)$/;
/** A header is a run id and two numbers: longer than this without a newline is not one. */
const MAX_HEADER = 200;

interface Waiting {
  id: string;
  resolve(slice: SpoolSlice): void;
  reject(error: Error): void;
}

/**
 * Output read through the agent: `o ID OFFSET MAX` on its stdin, answered by one frame on its stderr, a line
 * "<id> <size> <n>" and then n bytes. The agent answers requests in order, so frames match the queue of reads.
 * Created before the agent starts, so it sees the channel's stderr from its first byte.
 */
export class AgentSpoolReader implements SpoolReader {
  readonly via = 'agent';
  private buffer: Buffer = Buffer.alloc(0);
  private synced = false;
  private body: { id: string; size: number; length: number } | undefined;
  private readonly waiting: Waiting[] = [];
  private failed: Error | undefined;
  /** What the agent writes on its stderr once it is ready: frames follow, anything before was the login's. */
  private readonly marker: Buffer;
  /** Sends one request line to the agent; set once the agent is up. */
  send: ((line: string) => void) | undefined;
  /** Called when the agent's stderr breaks the frame protocol: the agent cannot be trusted any more. */
  onBroken: ((error: Error) => void) | undefined;

  constructor(token: string) {
    this.marker = Buffer.from(`\n${framesMarker(token)}\n`);
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    try {
      this.parse();
    } catch (error) {
      this.fail(error as Error);
      this.onBroken?.(error as Error);
    }
  }

  read(id: string, offset: number, max: number): Promise<SpoolSlice> {
    if (this.failed) return Promise.reject(this.failed);
    const send = this.send;
    if (!send) return Promise.reject(new Error('the agent is not ready'));
    const line = readLine(id, offset, max);
    return new Promise<SpoolSlice>((resolve, reject) => {
      this.waiting.push({ id, resolve, reject });
      send(line);
    });
  }

  /** Rejects every read still waiting (the agent is gone) and any later one. */
  fail(error: Error): void {
    this.failed ??= error;
    for (const waiting of this.waiting.splice(0)) waiting.reject(error);
  }

  close(): void {
    this.fail(new Error('the agent was closed'));
  }

  private parse(): void {
    if (!this.synced) {
      const at = this.buffer.indexOf(this.marker);
      if (at < 0) {
        // Keep only what could be the start of the marker: startup text before it is not ours.
        this.buffer = this.buffer.subarray(Math.max(0, this.buffer.length - this.marker.length + 1));
        return;
      }
      this.synced = true;
      this.buffer = this.buffer.subarray(at + this.marker.length);
    }
    for (;;) {
      if (!this.body) {
        const newline = this.buffer.indexOf(0x0a);
        if (newline < 0) {
          if (this.buffer.length > MAX_HEADER) throw new Error('the agent wrote a frame header without an end');
          return;
        }
        const header = this.buffer.subarray(0, newline).toString('latin1');
        const match = FRAME_HEADER.exec(header);
        const waiting = this.waiting[0];
        if (!match || !waiting || match[1] !== waiting.id) {
          throw new Error(`the agent wrote an unexpected output frame ${JSON.stringify(header.slice(0, 80))}`);
        }
        this.body = { id: match[1], size: Number(match[2]), length: Number(match[3]) };
        this.buffer = this.buffer.subarray(newline + 1);
      }
      if (this.buffer.length < this.body.length) return;
      const bytes = Buffer.from(this.buffer.subarray(0, this.body.length));
      this.buffer = this.buffer.subarray(this.body.length);
      const size = this.body.size;
      this.body = undefined;
      this.waiting.shift()?.resolve({ size, bytes });
    }
  }
}

function sftpCall<T>(call: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    call((err, value) => (err ? reject(err) : resolve(value)));
  });
}
