// Serves a bridge's metrics at GET /metrics (Prometheus text format) on a plain node:http server, bound to
// 127.0.0.1 unless told otherwise: the numbers name teams and machines, so they are not for every network.
// Beside them, what a supervisor polls (Docker HEALTHCHECK, Kubernetes probes): GET /healthz answers while the
// process does, GET /readyz only while `ready()` says so (the bridge's Redis answers a PING within a second).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RdcError } from '@rediacc/core';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 1_000;

export async function serveMetrics(
  registry: Registry,
  port: number,
  host: string,
  ready: () => Promise<boolean> = async () => true,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}\n');
      return;
    }
    if (req.method === 'GET' && path === '/readyz') {
      answersWithin(ready, READY_TIMEOUT_MS).then((ok) =>
        ok
          ? res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}\n')
          : res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"unavailable"}\n'),
      );
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, host, port)));
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** True when `check` resolves true within `ms`; false when it says no, throws or takes longer. */
async function answersWithin(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([check().catch(() => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A port taken or not ours to bind is the operator's option to change: say which and how. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES' && error.code !== 'EADDRNOTAVAIL') return error;
  return new RdcError(
    'RDC_CONFIG_INVALID',
    `cannot serve metrics on ${host}:${port} (${error.code}): ${error.code === 'EADDRINUSE' ? 'another process listens there' : 'this address cannot be bound here'}; pick another --metrics-port (0 takes a free one) or --metrics-host`,
    { cause: error },
  );
}
