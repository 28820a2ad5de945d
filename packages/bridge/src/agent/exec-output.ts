// A short command on its own exec channel of a pooled connection, for housekeeping that must not go through the
// agent's request line (sampling the machine): stdout up to a cap, stderr dropped, bounded by a timeout that
// closes the channel (never the connection: the agent's runs go on).
import type { SshConnection } from '../ssh/index.js';

const CAP_BYTES = 64 * 1024;

export async function execOutput(connection: SshConnection, command: string, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  let close: (() => void) | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      close?.();
      reject(new Error(`no answer within ${timeoutMs / 1000}s`));
    }, timeoutMs);
  });
  const output = connection.exec(command, (channel) => {
    close = () => channel.close();
    const chunks: Buffer[] = [];
    let bytes = 0;
    channel.stderr.resume();
    channel.on('data', (chunk: Buffer) => {
      if (bytes < CAP_BYTES) chunks.push(chunk.subarray(0, CAP_BYTES - bytes));
      bytes += chunk.length;
    });
    return new Promise<string>((resolve) => channel.on('close', () => resolve(Buffer.concat(chunks).toString('utf8'))));
  });
  try {
    return await Promise.race([output, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
