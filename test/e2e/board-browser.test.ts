// Bull Board in a real browser (Debian's chromium, playwright-core) under the console's CSP: the board renders its
// queues, the page requests nothing from another host (its Google Fonts link is taken out), and the browser reports
// no CSP violation. A screenshot lands in test/artifacts/board.png.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createDashboard } from '@rediacc/dashboard';
import { createClient, type RediaccClient } from '@rediacc/producer';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../harness/index.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`board-browser: skipped, ${CHROMIUM} is missing (apt-get install chromium)`);

const h = useHarness();
let app: FastifyInstance;
let client: RediaccClient;
let browser: Browser;
let base: string;
let token: string;

beforeAll(async () => {
  if (!hasChromium) return;
  const redis = await h.redis();
  client = createClient({ redis: redis.url });
  await client.teams.create('Web');
  app = await createDashboard({ redis: redis.url });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  token = (await client.dashboardTokens.create({ role: 'viewer' })).token;
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  h.own(() => browser.close());
}, 60_000);

afterAll(async () => {
  await app?.close();
  await client?.close();
});

describe.skipIf(!hasChromium)("Bull Board's page in a browser", () => {
  it('renders its queues, fetching nothing from another host and breaking no CSP rule', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const hosts = new Set<string>();
    const violations: string[] = [];
    page.on('request', (request) => hosts.add(new URL(request.url()).host));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${base}/login`);
    await page.fill('input[name="token"]', token);
    await Promise.all([page.waitForURL(`${base}/`), page.click('button[type="submit"]')]);
    await page.goto(`${base}/queues/`);
    // The board's React app drew the team's lane cards: its scripts and styles ran under the CSP.
    await page.getByText('Web normal').first().waitFor({ timeout: 30_000 });
    expect(await page.getByText('Web critical').count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS}board.png` });
    expect([...hosts]).toEqual([new URL(base).host]);
    expect(violations).toEqual([]);
    await page.close();
  });
});
