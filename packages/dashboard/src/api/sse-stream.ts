// Writing Server-Sent Events on a raw HTTP response: the headers an event stream needs (no caching, no proxy
// buffering, no compression: nothing here compresses), one JSON line per `data:`, comments as pings. A client that
// stops reading is cut off rather than buffered without bound.
import type { ServerResponse } from 'node:http';

/** Unsent bytes a slow client may hold up before its stream is closed. */
const MAX_BUFFERED = 8 * 1024 * 1024;

export class SseStream {
  private ended = false;

  constructor(private readonly response: ServerResponse) {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
      // What the security-headers hook sets on every other answer (a hijacked reply skips the hooks).
      'x-frame-options': 'DENY',
      'content-security-policy': "frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    response.flushHeaders();
  }

  get open(): boolean {
    return !this.ended && !this.response.destroyed;
  }

  send(event: string, data: unknown, id?: string): void {
    const head = id === undefined ? '' : `id: ${id}\n`;
    this.write(`${head}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.response.end();
  }

  private write(text: string): void {
    if (!this.open) return;
    if (this.response.writableLength > MAX_BUFFERED) {
      this.end();
      return;
    }
    this.response.write(text);
  }
}
