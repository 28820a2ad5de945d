import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { serveMetrics } from './metrics-server.js';

/** Status codes of GET /healthz, /readyz and /metrics on a metrics server whose readiness check is `ready`. */
async function statuses(ready: () => Promise<boolean>): Promise<number[]> {
  const server = await serveMetrics(new Registry(), 0, '127.0.0.1', ready);
  try {
    const get = async (path: string) => (await fetch(`http://127.0.0.1:${server.port}${path}`)).status;
    return [await get('/healthz'), await get('/readyz'), await get('/metrics')];
  } finally {
    await server.close();
  }
}

describe('the metrics server health endpoints', () => {
  it('answer /healthz always and /readyz only while the check says ready', async () => {
    expect(await statuses(async () => true)).toEqual([200, 200, 200]);
    expect(await statuses(async () => false)).toEqual([200, 503, 200]);
    expect(await statuses(() => Promise.reject(new Error('ECONNREFUSED')))).toEqual([200, 503, 200]);
  });

  it('count a check that does not answer within a second as not ready', async () => {
    expect(await statuses(() => new Promise<boolean>(() => {}))).toEqual([200, 503, 200]);
  });
});
