// The dashboard's health endpoints, answered without credentials, and `rediacc dashboard start` as a real process:
// it prints its URL, binds loopback by default, and exits 0 on SIGTERM.
import { spawn } from 'node:child_process';
import { createDashboard } from '@rediacc/dashboard';
import { describe, expect, it } from 'vitest';
import { CLI_BIN } from '../harness/cli-run.js';
import { useHarness } from '../harness/index.js';

const h = useHarness();

describe('dashboard health', () => {
  it('answers /healthz and /readyz without credentials while Redis answers', async () => {
    const redis = await h.redis();
    const app = await createDashboard({ redis: redis.url });
    try {
      expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
      const ready = await app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready' });
    } finally {
      await app.close();
      await app.close();
    }
  });

  it('says not ready (503) but still healthy when Redis is away', async () => {
    const app = await createDashboard({ redis: 'redis://127.0.0.1:1' });
    try {
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
      const ready = await app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'unavailable' });
    } finally {
      await app.close();
    }
  });

  it('`rediacc dashboard start` prints its loopback URL, serves /healthz and exits 0 on SIGTERM', async () => {
    const redis = await h.redis();
    const child = spawn(process.execPath, [CLI_BIN, 'dashboard', 'start', '--port', '0'], {
      env: { ...process.env, REDIS_URL: redis.url, RDC_HOME: await h.tempDir('rdc-home-'), RDC_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`dashboard exited ${code} before listening: ${out}`)));
      });
      const health = await fetch(new URL('/healthz', url));
      expect(health.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
