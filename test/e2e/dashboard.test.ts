// The console as a user meets it: `rediacc dashboard start` on a real port, a token from `rediacc dashboard token
// create`, a login over HTTP that sets the session cookie, Bull Board behind it, and `token revoke` ending it.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, runCli } from '../harness/cli-run.js';
import { useHarness } from '../harness/index.js';

const h = useHarness();
let env: NodeJS.ProcessEnv;
let dashboard: ChildProcess;
let base: URL;

beforeAll(async () => {
  const redis = await h.redis();
  env = { ...process.env, REDIS_URL: redis.url, RDC_HOME: await h.tempDir('rdc-home-'), RDC_LOG_LEVEL: 'warn' };
  expect((await runCli(['team', 'create', 'Web'], { env })).code).toBe(0);
  dashboard = spawn(process.execPath, [CLI_BIN, 'dashboard', 'start', '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise<URL>((resolve, reject) => {
    let out = '';
    dashboard.stdout?.on('data', (d) => {
      out += d;
      const url = /listening on (\S+)/.exec(out)?.[1];
      if (url) resolve(new URL(url));
    });
    dashboard.once('exit', (code) => reject(new Error(`dashboard exited ${code}: ${out}`)));
  });
});

afterAll(async () => {
  if (!dashboard || dashboard.exitCode !== null) return;
  const exited = new Promise((resolve) => dashboard.once('exit', resolve));
  dashboard.kill('SIGTERM');
  expect(await exited).toBe(0);
});

describe('rediacc dashboard', () => {
  it('logs in with a CLI-made token, shows Bull Board, and a revoke logs the session out', async () => {
    const anonymous = await fetch(base, { headers: { accept: 'text/html' } });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain('action="/login"');

    const created = await runCli(['dashboard', 'token', 'create', '--role', 'operator', '--team', 'Web'], { env });
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trimEnd().split('\n').at(-1) ?? '';
    const login = await fetch(new URL('/login', base), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base.origin, accept: 'text/html' },
      body: new URLSearchParams({ token }),
    });
    expect(login.status).toBe(303);
    const cookie = login.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    expect(cookie).toMatch(/^rdc_session=/);

    const board = await fetch(new URL('/queues/', base), { headers: { cookie } });
    expect(board.status).toBe(200);
    const queues = await fetch(new URL('/queues/api/queues', base), { headers: { cookie } });
    expect(((await queues.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort()).toEqual([
      'Web:critical',
      'Web:tasks',
    ]);

    const id = /^token ([0-9a-f]{16}):/.exec(created.stdout)?.[1] ?? '';
    expect((await runCli(['dashboard', 'token', 'revoke', id], { env })).code).toBe(0);
    expect((await fetch(new URL('/api/whoami', base), { headers: { cookie } })).status).toBe(401);
  });
});
