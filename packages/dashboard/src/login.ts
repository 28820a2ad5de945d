// The way in and out for people: GET /login shows the form, POST /login trades a token for a session cookie
// (HttpOnly, SameSite=Strict, Secure over https; the token never goes in a URL or in browser storage), POST /logout
// ends the session. Logout is a mutation: it needs the session's CSRF token as well as our own origin. Refused logins
// are counted per client address (login-limit.ts): past the limit, /login answers 429 with Retry-After.
import { hashToken, verifyDashboardToken } from '@rediacc/queue';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { REFUSALS, refuse, SESSION_COOKIE, sameOrigin, wantsHtml } from './auth.js';
import { LoginLimiter, type LoginLimitOptions } from './login-limit.js';
import { loginPage } from './pages.js';
import { createSession, csrfMatches, endSession } from './sessions.js';

const COOKIE_OPTIONS = { path: '/', httpOnly: true, sameSite: 'strict', secure: 'auto' } as const;

export function registerLogin(app: FastifyInstance, redis: Redis, limit?: LoginLimitOptions): void {
  const limiter = new LoginLimiter(limit);
  app.get('/login', async (_request, reply) => reply.type('text/html; charset=utf-8').send(loginPage()));

  app.post('/login', async (request, reply) => {
    // A login posted from another site would sign the victim in as the attacker (login CSRF).
    const fromBrowser = request.headers.origin !== undefined || request.headers['sec-fetch-site'] !== undefined;
    if (fromBrowser && !sameOrigin(request)) {
      return refuse(request, reply, 403, 'RDC_CSRF', 'a login must be posted from this site');
    }
    const wait = limiter.retryAfter(request.ip);
    if (wait > 0) {
      request.log.warn({ address: request.ip }, 'login throttled');
      reply.header('retry-after', String(wait));
      return refuse(request, reply, 429, 'RDC_LOGIN_THROTTLED', `too many refused logins; try again in ${wait}s`);
    }
    const submitted = (request.body as { token?: unknown } | undefined)?.token;
    const token = typeof submitted === 'string' ? submitted.trim() : undefined;
    const check = token === undefined ? undefined : await verifyDashboardToken(redis, token);
    if (token === undefined || !check?.ok) {
      const message =
        check && !check.ok ? `log in refused: ${REFUSALS[check.reason]}` : 'log in refused: no token given';
      limiter.fail(request.ip);
      request.log.warn({ reason: check && !check.ok ? check.reason : 'missing' }, 'login refused');
      return refuse(request, reply, 401, 'RDC_UNAUTHENTICATED', message);
    }
    const { cookie, ttlMs } = await createSession(redis, check.principal, hashToken(token));
    request.log.info({ tokenId: check.principal.id, role: check.principal.role, team: check.principal.team }, 'login');
    reply.setCookie(SESSION_COOKIE, cookie, { ...COOKIE_OPTIONS, maxAge: Math.floor(ttlMs / 1000) });
    return wantsHtml(request) || request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')
      ? reply.code(303).redirect('/')
      : reply.send({ id: check.principal.id, role: check.principal.role, team: check.principal.team ?? null });
  });

  app.post('/logout', async (request, reply) => {
    const session = request.dashboardSession;
    const cookie = request.cookies[SESSION_COOKIE];
    if (session && cookie) {
      const body = request.body as { _csrf?: unknown } | undefined;
      if (!csrfMatches(session, body?._csrf ?? request.headers['x-csrf-token'])) {
        return refuse(request, reply, 403, 'RDC_CSRF', 'logout needs the CSRF token of the session');
      }
      await endSession(redis, cookie);
      request.log.info({ tokenId: session.tokenId }, 'logout');
    }
    reply.clearCookie(SESSION_COOKIE, COOKIE_OPTIONS);
    return reply.code(303).redirect('/login');
  });
}
