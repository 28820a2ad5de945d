// TCP connections to machines. ssh2 never sets TCP_NODELAY; with Nagle on, every small exec waits for
// delayed ACKs (a remote `true` took 44 ms instead of 4 ms), so we open the socket ourselves.
import { connect, type Socket } from 'node:net';
import { RdcError } from '@rediacc/core';

export function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const sock = connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        new RdcError('RDC_SSH_CONNECT', `connecting to ${host}:${port} timed out after ${timeoutMs / 1000}s`, {
          retryable: true,
        }),
      );
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      sock.destroy();
      reject(
        new RdcError('RDC_SSH_CONNECT', `cannot connect to ${host}:${port}: ${error.code ?? error.message}`, {
          cause: error,
          retryable: true,
        }),
      );
    });
  });
}
