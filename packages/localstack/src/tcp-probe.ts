// Readiness checks speak the server's own protocol over a raw socket (redis: PING → +PONG, sshd: the
// SSH-2.0- banner), so "ready" means the server answers, not merely that something accepted the connection.
import { connect } from 'node:net';

const MAX_LINE = 1024;

/** First line the server sends (after `send`, if given), or undefined on refusal, error or timeout. */
export function readFirstLine(
  host: string,
  port: number,
  options: { send?: string; timeoutMs: number },
): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buffer = '';
    const socket = connect({ host, port });
    const finish = (line: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(line);
    };
    const timer = setTimeout(() => finish(undefined), options.timeoutMs);
    socket.setEncoding('latin1');
    socket.once('connect', () => {
      if (options.send !== undefined) socket.write(options.send);
    });
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end >= 0) finish(buffer.slice(0, end).replace(/\r$/, ''));
      else if (buffer.length > MAX_LINE) finish(buffer);
    });
    socket.once('error', () => finish(undefined));
    socket.once('close', () => finish(undefined));
  });
}
