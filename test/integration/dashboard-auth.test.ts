// Authentication of the dashboard on a real Redis: bearer tokens for API calls, a login page that trades a token
// for an HttpOnly SameSite=Strict session cookie, 401 for every way a credential can be wrong, CSRF refusals, logout,
// and revocation ending sessions at once.
import { createDashboard } from '@rediacc/dashboard';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { createDashboardToken, revokeDashboardToken } from '@rediacc/queue';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../harness/index.js';

const h = useHarness();
let app: FastifyInstance;
let client: RediaccClient;
let redis: Redis;
const ORIGIN = 'http://localhost:80';
const HTML = 'text/html,application/xhtml+xml';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function token(role: 'viewer' | 'operator' | 'admin', team?: string, expiresInMs?: number) {
  return createDashboardToken(redis, { role, team, expiresInMs });
}

/** Logs in through the form as a browser would; returns the session cookie value. */
async function login(text: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { origin: ORIGIN, accept: HTML, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `token=${encodeURIComponent(text)}`,
  });
  expect(res.statusCode, res.body).toBe(303);
  const cookie = res.cookies.find((c) => c.name === 'rdc_session');
  expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return cookie?.value ?? '';
}

const csrfOf = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)?.[1];

beforeAll(async () => {
  const server = await h.redis();
  redis = new Redis(server.url);
  client = createClient({ redis: server.url });
  await client.teams.create('A');
  app = await createDashboard({ redis: server.url });
});
afterAll(async () => {
  await app?.close();
  await client?.close();
  await redis?.quit();
});

describe('dashboard authentication', () => {
  it('keeps /healthz, /readyz and the login page open, and nothing else', async () => {
    for (const url of ['/healthz', '/readyz', '/login']) expect((await app.inject({ url })).statusCode, url).toBe(200);
    for (const url of [
      '/',
      '/api/whoami',
      '/queues/',
      '/queues/api/queues',
      '/no-such-page',
      '/login/',
      '/healthz/x',
    ]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().error.code).toBe('RDC_UNAUTHENTICATED');
    }
  });

  it('answers a browser without credentials with the login page and status 401, never to be framed', async () => {
    const res = await app.inject({ url: '/', headers: { accept: HTML } });
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['content-security-policy']).toContain("script-src 'self';");
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('<form method="post" action="/login">');
  });

  it('accepts a valid bearer token and refuses malformed, unknown, revoked and expired ones', async () => {
    const good = await token('viewer', 'A');
    const ok = await app.inject({ url: '/api/whoami', headers: bearer(good.token) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ id: good.record.id, role: 'viewer', team: 'A' });

    const revoked = await token('admin');
    await revokeDashboardToken(redis, revoked.record.id);
    const expired = await token('admin', undefined, 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const forged = `${good.token.slice(0, -4)}AAAA`;
    for (const [headers, message] of [
      [bearer('nope'), 'that is not a dashboard token'],
      [{ authorization: good.token }, 'the Authorization header must be "Bearer TOKEN"'],
      [bearer(forged), 'the token is unknown or was revoked'],
      [bearer(revoked.token), 'the token is unknown or was revoked'],
      [bearer(expired.token), 'the token has expired'],
    ] as const) {
      const res = await app.inject({ url: '/api/whoami', headers });
      expect(res.statusCode, message).toBe(401);
      expect(res.json().error).toMatchObject({ code: 'RDC_UNAUTHENTICATED', message });
    }
  });

  it('logs a person in with an HttpOnly SameSite=Strict cookie that holds no token, stored hashed', async () => {
    const { token: text } = await token('operator', 'A');
    const res = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { origin: ORIGIN, accept: HTML, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${encodeURIComponent(text)}`,
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/rdc_session=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict/);
    expect(setCookie).not.toContain(text);
    const cookie = res.cookies.find((c) => c.name === 'rdc_session')?.value ?? '';
    for (const key of await redis.keys('rdc:dashboard:*')) expect(key).not.toContain(cookie);
    const page = await app.inject({ url: '/', cookies: { rdc_session: cookie }, headers: { accept: HTML } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('operator of team A');
    expect(page.body).not.toContain(text);
    expect(csrfOf(page.body)).toBeDefined();
  });

  it('refuses a login with a wrong token (401 login page) or posted from another site (403)', async () => {
    const wrong = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { accept: HTML, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=rdt_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('log in refused: the token is unknown or was revoked');
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const { token: text } = await token('viewer', 'A');
    const crossSite = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${encodeURIComponent(text)}`,
    });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.json().error.code).toBe('RDC_CSRF');
  });

  it('logs out only with the CSRF token and from this site, and the cookie is dead afterwards', async () => {
    const cookie = await login((await token('viewer', 'A')).token);
    const csrf = csrfOf((await app.inject({ url: '/', cookies: { rdc_session: cookie } })).body) ?? '';
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const attempts = [
      { headers: { ...form, origin: ORIGIN }, payload: '' },
      { headers: { ...form, origin: ORIGIN }, payload: `_csrf=${csrf.slice(0, -1)}x` },
      { headers: { ...form, origin: 'https://evil.example' }, payload: `_csrf=${csrf}` },
      { headers: { ...form, 'sec-fetch-site': 'cross-site' }, payload: `_csrf=${csrf}` },
      { headers: form, payload: `_csrf=${csrf}` },
    ];
    for (const attempt of attempts) {
      const res = await app.inject({ method: 'POST', url: '/logout', cookies: { rdc_session: cookie }, ...attempt });
      expect(res.statusCode, JSON.stringify(attempt.headers)).toBe(403);
      expect(res.json().error.code).toBe('RDC_CSRF');
    }
    expect((await app.inject({ url: '/api/whoami', cookies: { rdc_session: cookie } })).statusCode).toBe(200);
    const out = await app.inject({
      method: 'POST',
      url: '/logout',
      cookies: { rdc_session: cookie },
      headers: { ...form, 'sec-fetch-site': 'same-origin' },
      payload: `_csrf=${encodeURIComponent(csrf)}`,
    });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/login');
    const after = await app.inject({ url: '/api/whoami', cookies: { rdc_session: cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toBe('the session has ended; log in again');
  });

  it('ends the sessions of a revoked token at once', async () => {
    const created = await token('admin');
    const cookie = await login(created.token);
    expect((await app.inject({ url: '/api/whoami', cookies: { rdc_session: cookie } })).statusCode).toBe(200);
    await revokeDashboardToken(redis, created.record.id);
    const res = await app.inject({ url: '/api/whoami', cookies: { rdc_session: cookie } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe("the session's token is unknown or was revoked");
  });
});
