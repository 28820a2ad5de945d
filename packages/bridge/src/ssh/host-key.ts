// Host key pinning. Fingerprints are OpenSSH's: "SHA256:" + unpadded base64 of the SHA-256 of the key blob.
import { createHash } from 'node:crypto';
import { RdcError } from '@rediacc/core';
import { Client } from 'ssh2';
import { openSocket } from './socket.js';

export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Connects far enough to read the server's host key and returns its fingerprint, then hangs up without
 * authenticating (for `machine add --accept-new-host-key`, like OpenSSH's accept-new).
 */
export async function probeHostKey(host: string, port: number, timeoutMs = 10_000): Promise<string> {
  const sock = await openSocket(host, port, timeoutMs);
  return new Promise<string>((resolve, reject) => {
    const client = new Client();
    client.on('error', () => {}); // see ssh-connection.ts: a second error must not crash the process
    let fingerprint: string | undefined;
    const timer = setTimeout(() => {
      client.end();
      reject(new RdcError('RDC_SSH_CONNECT', `no SSH host key from ${host}:${port} within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      client.end();
      sock.destroy();
      if (fingerprint) resolve(fingerprint);
      else reject(new RdcError('RDC_SSH_CONNECT', `${host}:${port} closed the connection before sending a host key`));
    };
    client.on('error', done);
    client.on('close', done);
    client.connect({
      sock,
      username: 'rediacc-probe',
      hostVerifier: (key: Buffer) => {
        fingerprint = fingerprintOf(key);
        return false; // abort the handshake: we only wanted the key
      },
    });
  });
}
