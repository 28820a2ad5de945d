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
  for (const [team, name] of [
    ['Web', 'web-01'],
    ['Data', 'db-01'],
  ] as const) {
    await rediacc(['team', 'create', team]);
    await rediacc(machineAddArgs(machine, team, name));
  }
  daemon([
    'bridge',
    'start',
    '--team',
    'Web,Data',
    '--name',
    'wall-bridge',
    '--batch-size',
    '4',
    '--critical-slots',
    '1',
    '--sample-interval',
    '1s',
  ]);
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

/** Marks the page, so a later check proves it was never reloaded. */
async function markPage(): Promise<void> {
  await page.evaluate(() => {
    (globalThis as unknown as { rdcMark: number }).rdcMark = 1;
  });
}

async function stillSamePage(): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { rdcMark?: number }).rdcMark === 1);
}

const row = (taskId: string, status?: string) =>
  page.locator(`tr[data-task-id="${taskId}"]${status ? `[data-status="${status}"]` : ''}`);

/** Creates a task on Web's web-01 through the CLI; returns its id. */
async function createTask(command: string): Promise<string> {
  return (await rediacc(['create', 'task', '--team', 'Web', '--machine', 'web-01', '--command', command])).trim();
}

/** Creates a task through the CLI, opens its page and waits until the live page shows it `status`. */
async function openNewTask(command: string, status: string): Promise<string> {
  const id = await createTask(command);
  await page.goto(new URL(`/tasks/${id}`, base).href);
  await page.locator('#live[data-state="live"]').waitFor();
  await page.locator('#task-status', { hasText: status }).waitFor({ timeout: 30_000 });
  return id;
}

describe.skipIf(!hasChromium)('the console in a browser', () => {
  it('logs in through the login page with a CLI-made token', async () => {
    await page.goto(base.href);
    await page.screenshot({ path: `${ARTIFACTS}login.png` });
    await page.fill('input[name="token"]', token);
    await Promise.all([page.waitForURL(base.href), page.click('button[type="submit"]')]);
    // One event stream keeps the page live; the indicator says so.
    await page.locator('#live[data-state="live"]').waitFor();
    expect(await page.locator('body').textContent()).toContain('Recent tasks');
    expect(await page.locator('input[name="q"]').count()).toBe(1);
  });

  it('shows a task created by the CLI appear and turn COMPLETED without a reload', async () => {
    await markPage();
    const id = await createTask('echo hello from the console; sleep 1; echo bye');
    await row(id).waitFor({ timeout: 30_000 });
    await row(id, 'COMPLETED').waitFor({ timeout: 30_000 });
    expect(await stillSamePage()).toBe(true);
    expect(await row(id).locator('td').nth(5).textContent()).toContain('echo hello from the console');

    // A few more of every kind, for the screenshot a person looks at.
    const extra = [
      ['Web', 'web-01', '1', 'head -1 /etc/os-release'],
      ['Web', 'web-01', '3', 'df -h / | tail -1'],
      ['Web', 'web-01', '5', 'sh -c "echo disk almost full >&2; exit 3"'],
      ['Data', 'db-01', '2', 'uptime'],
      ['Data', 'db-01', '4', 'pg_dump --version || echo no pg_dump here'],
      ['Data', 'db-01', '3', 'sleep 20 # nightly vacuum'],
    ] as const;
    await Promise.all(
      extra.map(([team, machine, priority, command]) =>
        rediacc(['create', 'task', '--team', team, '--machine', machine, '--priority', priority, '--command', command]),
      ),
    );
    await waitFor('the extra tasks to finish', async () =>
      (await page
        .locator('tr[data-task-id][data-status="COMPLETED"], tr[data-task-id][data-status="FAILED"]')
        .count()) >= 6
        ? true
        : undefined,
    );
    // The bridge samples its machines every second: the machines table shows their load.
    await waitFor('the machines’ load', async () =>
      (await page.locator('#machines td.num').allTextContents()).some((text) => /^\d+\.\d\d$/.test(text))
        ? true
        : undefined,
    );
    await page.waitForTimeout(1500);
    await page.screenshot({ path: `${ARTIFACTS}console.png`, fullPage: true });

    // Search and filters narrow the table and are kept in the URL, so the view can be shared.
    await page.fill('input[name="q"]', 'os-release');
    await page.waitForURL(/\?q=os-release$/);
    await waitFor('the search to narrow the table', async () =>
      (await page.locator('tr[data-task-id]').count()) === 1 ? true : undefined,
    );
    expect(await page.locator('tr[data-task-id] td.command').textContent()).toBe('head -1 /etc/os-release');
    await page.fill('input[name="q"]', '');
    await page.selectOption('select[name="status"]', 'FAILED');
    await page.waitForURL(/\?status=FAILED$/);
    await waitFor('the status filter to narrow the table', async () => {
      const statuses = await page
        .locator('tr[data-task-id]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
      return statuses.length > 0 && statuses.every((s) => s === 'FAILED') ? statuses : undefined;
    });
    await page.reload();
    expect(await page.locator('select[name="status"]').inputValue()).toBe('FAILED');
    await page.selectOption('select[name="status"]', '');
    await page.waitForURL(base.href);

    await Promise.all([page.waitForURL(/\/tasks\//), row(id).locator('a').first().click()]);
    await page.locator('#task-status', { hasText: 'COMPLETED' }).waitFor();
    await page.locator('#task-output', { hasText: 'hello from the console' }).waitFor();
    expect(await page.locator('#task-output').textContent()).toContain('bye');
    expect(await page.locator('button[data-action="cancel"]').isVisible()).toBe(false);
    await page.screenshot({ path: `${ARTIFACTS}task-completed.png` });
  }, 120_000);

  it('follows the output of a running task and cancels it from its page', async () => {
    await openNewTask('for i in $(seq 1 30); do echo "step $i of 30"; sleep 1; done', 'PROCESSING');
    await page.locator('#task-output', { hasText: 'step 3 of 30' }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: `${ARTIFACTS}task-running.png` });
    await page.locator('button[data-action="cancel"]').click();
    await page.locator('#task-status', { hasText: 'CANCELLED' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('#task-status').textContent()).toBe('CANCELLED');
    expect(await page.locator('button[data-action="cancel"]').isVisible()).toBe(false);
    await page.screenshot({ path: `${ARTIFACTS}task-cancelled.png` });
  });

  it('keeps only the tail of a 1 MB output in the page, and offers the whole as a download', async () => {
    const id = await openNewTask('seq -f "line %06g of a long log" 1 40000; echo the last line', 'COMPLETED');
    await page.locator('#task-output', { hasText: 'the last line' }).waitFor({ timeout: 30_000 });
    const shown = (await page.locator('#task-output').textContent()) ?? '';
    expect(shown.length).toBeLessThanOrEqual(64 * 1024);
    expect(shown).not.toContain('line 000001 of');
    const href = await page.locator('#download').getAttribute('href');
    expect(href).toBe(`/api/tasks/${id}/output.txt`);
    const whole = await page.request.get(new URL(href ?? '', base).href);
    expect(whole.status()).toBe(200);
    expect((await whole.text()).endsWith('the last line\n')).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}task-big-output.png` });
  });

  it('offers Retry on a failed task to an admin, and neither Retry nor Cancel to a viewer', async () => {
    const id = await openNewTask('echo broken >&2; exit 7', 'FAILED');
    const retry = page.locator('button[data-action="retry"]');
    expect(await retry.isVisible()).toBe(true);
    await retry.click();
    await page.locator('#task-message', { hasText: 'Retried' }).waitFor();
    await page.locator('#task-facts', { hasText: /Attempts\s*2/ }).waitFor({ timeout: 30_000 });

    const viewerToken = (await rediacc(['dashboard', 'token', 'create', '--role', 'viewer']))
      .trimEnd()
      .split('\n')
      .at(-1);
    const viewer = await browser.newPage();
    try {
      await viewer.goto(new URL('/login', base).href);
      await viewer.fill('input[name="token"]', viewerToken ?? '');
      await Promise.all([viewer.waitForURL(base.href), viewer.click('button[type="submit"]')]);
      await viewer.goto(new URL(`/tasks/${id}`, base).href);
      await viewer.locator('#task-status', { hasText: 'FAILED' }).waitFor({ timeout: 30_000 });
      expect(await viewer.locator('button[data-action="retry"]').isVisible()).toBe(false);
      expect(await viewer.locator('button[data-action="cancel"]').isVisible()).toBe(false);
    } finally {
      await viewer.close();
    }
  });
});
