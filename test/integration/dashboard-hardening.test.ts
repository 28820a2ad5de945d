// Small guards of the console: every dashboard token mutation (the fleet path included) lands in the audit log with
// the actor, /login slows guessing per client address (429 with Retry-After), and Bull Board's page fetches
// nothing from another host (its Google Fonts link is taken out) while its own scripts and styles still load.
import { createDashboard } from '@rediacc/dashboard';
import { createClient, type RediaccClient } from '@rediacc/producer';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../harness/index.js';

const h = useHarness();
const ACTOR = 'carol@ops';
let app: FastifyInstance;
let client: RediaccClient;

beforeAll(async () => {
  const server = await h.redis();
  client = createClient({ redis: server.url, actor: ACTOR });
  await client.teams.create('A');
  await client.teams.create('B');
  app = await createDashboard({ redis: server.url });
});
afterAll(async () => {
  await app?.close();
  await client?.close();
});

async function tokenEntries(team: string, id: string) {
  const { entries } = await client.audit.read({ team });
  return entries.filter((e) => e.target === id).map((e) => ({ action: e.action, actor: e.actor, outcome: e.outcome }));
}

describe('dashboard token audit', () => {
  it('records create and revoke of a fleet token in every team’s log, and a team token in its own, with the actor', async () => {
    const fleet = await client.dashboardTokens.create({ role: 'admin' });
    const team = await client.dashboardTokens.create({ role: 'viewer', team: 'A' });
    await client.dashboardTokens.revoke(fleet.record.id);
    await client.dashboardTokens.revoke(team.record.id);
    const both = [
      { action: 'token.create', actor: ACTOR, outcome: 'ok' },
      { action: 'token.revoke', actor: ACTOR, outcome: 'ok' },
    ];
    for (const t of ['A', 'B']) expect(await tokenEntries(t, fleet.record.id), t).toEqual(both);
    expect(await tokenEntries('A', team.record.id)).toEqual(both);
    expect(await tokenEntries('B', team.record.id)).toEqual([]);
  });
});

describe('/login', () => {
  const post = (token: string, remoteAddress: string) =>
    app.inject({
      method: 'POST',
      url: '/login',
      remoteAddress,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${encodeURIComponent(token)}`,
    });

  it('answers 429 with Retry-After after 10 refused logins from one address, a right token included', async () => {
    const { token } = await client.dashboardTokens.create({ role: 'viewer' });
    const wrong = 'rdt_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    for (let i = 0; i < 10; i++) expect((await post(wrong, '192.0.2.7')).statusCode, `try ${i + 1}`).toBe(401);
    for (const attempt of [wrong, token]) {
      const res = await post(attempt, '192.0.2.7');
      expect(res.statusCode).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(res.json().error.code).toBe('RDC_LOGIN_THROTTLED');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    // Another address is not slowed by this one's failures.
    const other = await post(token, '192.0.2.8');
    expect(other.statusCode).toBe(303);
    expect(other.cookies.some((c) => c.name === 'rdc_session')).toBe(true);
  });
});

describe("Bull Board's page", () => {
  it('references no other host, forbids fetching from one, and its own scripts and styles load', async () => {
    const { token } = await client.dashboardTokens.create({ role: 'viewer' });
    const headers = { authorization: `Bearer ${token}`, accept: 'text/html' };
    const page = await app.inject({ url: '/queues/', headers });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).not.toMatch(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    expect(page.body).not.toContain('fonts.googleapis.com');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/https?:|\*/);
    const assets = [...page.body.matchAll(/\b(?:src|href)="(static\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const res = await app.inject({ url: `/queues/${asset}`, headers });
      expect(res.statusCode, asset).toBe(200);
    }
  });
});
