// Picks a TCP port nobody listens on, by letting the kernel choose one and releasing it. Another process
// may take it before our server binds, so startOnFreePort tries again with a fresh port when the server
// exits during start-up.
import { createServer } from 'node:net';
import { type ManagedChild, throwUnlessReady } from './managed-process.js';

const PORT_ATTEMPTS = 5;

export function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => {
        if (port === undefined) reject(new Error(`no port assigned when listening on ${host}:0`));
        else resolve(port);
      });
    });
  });
}

/**
 * Starts the process `prepare` builds for a port. With a fixed port there is one try; otherwise a fresh free
 * port is tried up to five times, since a server that lost the race for its port exits at once.
 */
export async function startOnFreePort<T extends ManagedChild>(
  host: string,
  fixedPort: number | undefined,
  prepare: (port: number) => Promise<T>,
): Promise<{ port: number; server: T }> {
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await findFreePort(host));
    const server = await prepare(port);
    const outcome = await server.start();
    if (outcome.kind === 'ready') return { port, server };
    const mayRetry = fixedPort === undefined && outcome.kind === 'exited' && attempt < PORT_ATTEMPTS;
    if (!mayRetry) throwUnlessReady(server.spec, outcome);
  }
}
