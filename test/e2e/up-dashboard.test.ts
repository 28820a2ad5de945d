// `rediacc up` serves the web console next to its bridge: it prints the console's URL and a login token once,
// keeps the token out of every file and process list, tells a second `up` where the console is, and stops the
// console when it stops.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli-run.js';
import { freePort } from '../harness/free-port.js';
import { useHarness } from '../harness/index.js';
import { startUp } from '../harness/up-run.js';

const run = promisify(execFile);
const h = useHarness();

function rediacc(args: string[], home: string) {
  return runCli(args, { env: { ...process.env, RDC_LOG_LEVEL: 'warn', REDIS_URL: '', RDC_HOME: home } });
}

describe('rediacc up starts the web console', () => {
  it('prints its URL and a login token that opens it, kept out of stack.json and ps, and stops it with up', async () => {
    const home = await h.tempDir('up-home');
    const dashboardPort = await freePort();
    const up = await startUp(h, home, ['--dashboard-port', String(dashboardPort)]);
    const line = up.stdout().match(/^console {2}(http:\/\/127\.0\.0\.1:(\d+)) {2}\(log in with token (rdt_\S+?);/m);
    expect(line, up.stdout()).not.toBeNull();
    const [, url, port, token] = line ?? [];
    expect(Number(port)).toBe(dashboardPort);

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${url}/`)).status).toBe(401);
    // The console's browser modules come from the built package.
    const script = await fetch(`${url}/assets/console.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');

    const stack = await readFile(join(home, 'up', 'stack.json'), 'utf8');
    expect(JSON.parse(stack).dashboardUrl).toBe(url);
    expect(stack).not.toContain(token);
    const ps = await run('ps', ['-eo', 'args']);
    expect(ps.stdout).not.toContain(token);

    // A second up attaches: it names the console and how to get a token, never the first one's token.
    const second = await rediacc(['up', '--exit'], home);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`console  ${url}`);
    expect(second.stdout).toContain('rediacc dashboard token create --role admin --expires 12h');
    expect(second.stdout).not.toContain('rdt_');

    // Stopping up stops the console with the rest of the stack.
    up.child.kill('SIGTERM');
    await up.exited;
    expect(up.child.exitCode).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('prefers port 7420 or a free one without --dashboard-port, and starts none with --no-dashboard', async () => {
    const up = await startUp(h, await h.tempDir('up-home'), []);
    const url = up.stdout().match(/^console {2}(http:\/\/127\.0\.0\.1:\d+) /m)?.[1];
    expect(url, up.stdout()).toBeDefined();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    up.child.kill('SIGTERM');
    await up.exited;

    const bare = await startUp(h, await h.tempDir('up-home'), ['--no-dashboard']);
    expect(bare.stdout()).not.toMatch(/^console/m);
    expect(bare.stdout()).not.toContain('rdt_');
  });
});
