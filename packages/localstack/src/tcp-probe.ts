// Readiness checks speak the server's own protocol over a raw socket (redis: PING → +PONG, sshd: the
// SSH-2.0- banner), so "ready" means the server answers, not merely that something accepted the connection.
import { connect } from 'node:net';

const MAX_LINE = 1024;

/** First line the server sends (after `send`, if given), or undefined on refusal, error or timeout. */
export async function readFirstLine(
  host: string,
  port: number,
  options: { send?: string; timeoutMs: number },
): Promise<string | undefined> {
  return (await readLines(host, port, { ...options, count: 1 }))?.[0];
}

/**
 * The first `count` lines the server sends (after `send`, if given), or undefined on refusal, error or timeout.
 * The close that ends a reply early (redis drops a client after a failed AUTH) yields the lines read so far.
 */
export function readLines(
  host: string,
  port: number,
  options: { send?: string; count: number; timeoutMs: number },
): Promise<string[] | undefined> {
  return new Promise((resolve) => {
    let buffer = '';
    const lines: string[] = [];
    const socket = connect({ host, port });
    const finish = (result: string[] | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(undefined), options.timeoutMs);
    socket.setEncoding('latin1');
    socket.once('connect', () => {
      if (options.send !== undefined) socket.write(options.send);
    });
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n'); end >= 0 && lines.length < options.count; end = buffer.indexOf('\n')) {
        lines.push(buffer.slice(0, end).replace(/\r$/, ''));
        buffer = buffer.slice(end + 1);
      }
      if (lines.length >= options.count) finish(lines);
      else if (buffer.length > MAX_LINE) finish([...lines, buffer]);
    });
    socket.once('error', () => finish(undefined));
    socket.once('close', () => finish(lines.length > 0 ? lines : undefined));
  });
}
