// A webhook receiver on 127.0.0.1 (node:http) that records every POST it gets. It can be stopped (connections
// refused, as when a receiver is down) and started again on the same port, and told to answer with an error status.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Harness } from './harness.js';

export interface ReceivedPost {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export class WebhookReceiver {
  readonly posts: ReceivedPost[] = [];
  /** The status every POST is answered with. */
  status = 200;
  #server: Server | undefined;
  #port = 0;

  static async start(h: Harness): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await receiver.listen();
    h.own(() => receiver.stop());
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }

  /** Parsed bodies of the POSTs to `path`. */
  bodies<T = Record<string, unknown>>(path: string): T[] {
    return this.posts.filter((p) => p.path === path).map((p) => JSON.parse(p.body) as T);
  }

  async listen(): Promise<void> {
    if (this.#server) return;
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        if (this.status < 300) this.posts.push({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Closes the port: deliveries now fail with connection refused. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
