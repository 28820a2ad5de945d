// The console in a real browser (Debian's chromium driven by playwright-core, never a downloaded browser): a user
// logs in through the login page with a CLI-made token, sees a task created by the CLI appear and complete without
// a reload, follows its output on its own page, and cancels a running task from there. Screenshots land in
// test/artifacts/ for a person to look at.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, machineAddArgs, runCli } from '../harness/cli-run.js';
import { useHarness, waitFor } from '../harness/index.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`console-browser: skipped, ${CHROMIUM} is missing (apt-get install chromium)`);

const h = useHarness();
let env: NodeJS.ProcessEnv;
let base: URL;
let token: string;
let browser: Browser;
let page: Page;

async function rediacc(args: string[]): Promise<string> {
  const run = await runCli(args, { env });
  expect(run.code, run.stderr).toBe(0);
  return run.stdout;
}

/** A long-running CLI process (bridge, dashboard), killed with the harness. */
function daemon(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  h.own(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
  return child;
}

function dashboardUrl(child: ChildProcess): Promise<URL> {
  return new Promise<URL>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
      const url = /listening on (\S+)/.exec(out)?.[1];
      if (url) resolve(new URL(url));
    });
    child.once('exit', (code) => reject(new Error(`dashboard exited ${code}: ${out}`)));
  });
}

beforeAll(async () => {
  if (!hasChromium) return;
  const redis = await h.redis();
  const machine = await h.machine();
  env = { ...process.env, REDIS_URL: redis.url, RDC_HOME: await h.tempDir('rdc-home-'), RDC_LOG_LEVEL: 'warn' };
  delete env.RDC_ACTOR;
  await rediacc(['team', 'create', 'Web']);
  await rediacc(machineAddArgs(machine, 'Web', 'web-01'));
  daemon(['bridge', 'start', '--team', 'Web', '--name', 'wall-bridge', '--batch-size', '4', '--critical-slots', '1']);
  base = await dashboardUrl(daemon(['dashboard', 'start', '--port', '0']));
  token = (await rediacc(['dashboard', 'token', 'create', '--role', 'admin'])).trimEnd().split('\n').at(-1) ?? '';
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  h.own(() => browser.close());
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('console', (message) => console.log(`browser ${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => console.log(`browser error: ${error.message}`));
});

afterAll(async () => {
  await page?.close();
});

describe.skipIf(!hasChromium)('the console in a browser', () => {
  it('logs in through the login page with a CLI-made token', async () => {
    await page.goto(base.href);
    await page.fill('input[name="token"]', token);
    await Promise.all([page.waitForURL(base.href), page.click('button[type="submit"]')]);
    await page.locator('#live').waitFor();
    await page.waitForTimeout(1500);
    await page.screenshot({ path: `${ARTIFACTS}console-first.png` });
    expect(await page.locator('body').textContent()).toContain('Recent tasks');
  });
});
