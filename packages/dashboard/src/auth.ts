// Authentication on every route but the health checks and the login page: a bearer token (API calls) or a session
// cookie (people, after logging in once). The principal is attached to the request, and remembered by the request's
// headers object, which is all Bull Board passes its hooks and guards (see board.ts). Cookie-authenticated
// mutations must come from our own origin; bearer calls need no such check, since no browser attaches an
// Authorization header on its own.
import { type DashboardPrincipal, ERROR_CODES, type ErrorCode } from '@rediacc/core';
import { verifyDashboardToken, verifyTokenId } from '@rediacc/queue';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { loginPage } from './pages.js';
import { readSession, type Session } from './sessions.js';

export const SESSION_COOKIE = 'rdc_session';

/** Routes anyone may reach: process health, the way in, and the console's static files (public package code). */
const PUBLIC_ROUTES = new Set(['/healthz', '/readyz', '/login', '/assets/*']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    principal: DashboardPrincipal | null;
    /** The login session, when the request was authenticated by its cookie. */
    dashboardSession: Session | null;
  }
}

const byHeaders = new WeakMap<object, DashboardPrincipal>();

/** The principal of the request whose headers object this is (Bull Board hands its hooks only the headers). */
export function principalOfHeaders(headers: object): DashboardPrincipal | undefined {
  return byHeaders.get(headers);
}

type Authentication =
  | { ok: true; principal: DashboardPrincipal; session: Session | undefined }
  | { ok: false; message: string };

/** Why a token was refused, in the words the 401 uses. */
export const REFUSALS = {
  malformed: 'that is not a dashboard token',
  unknown: 'the token is unknown or was revoked',
  expired: 'the token has expired',
} as const;

export function registerAuth(app: FastifyInstance, redis: Redis): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('dashboardSession', null);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== undefined && PUBLIC_ROUTES.has(request.routeOptions.url)) return;
    const auth = await authenticate(redis, request);
    if (!auth.ok) return refuse(request, reply, 401, 'RDC_UNAUTHENTICATED', auth.message);
    request.principal = auth.principal;
    request.dashboardSession = auth.session ?? null;
    byHeaders.set(request.headers, auth.principal);
    if (auth.session && !SAFE_METHODS.has(request.method) && !sameOrigin(request)) {
      return refuse(
        request,
        reply,
        403,
        'RDC_CSRF',
        `a ${request.method} with the session cookie must come from this site`,
      );
    }
  });
}

async function authenticate(redis: Redis, request: FastifyRequest): Promise<Authentication> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const bearer = /^Bearer (\S+)$/i.exec(header)?.[1];
    if (!bearer) return { ok: false, message: 'the Authorization header must be "Bearer TOKEN"' };
    const check = await verifyDashboardToken(redis, bearer);
    return check.ok
      ? { ok: true, principal: check.principal, session: undefined }
      : { ok: false, message: REFUSALS[check.reason] };
  }
  const cookie = request.cookies[SESSION_COOKIE];
  if (!cookie) return { ok: false, message: 'log in first, or send "Authorization: Bearer TOKEN"' };
  const session = await readSession(redis, cookie);
  if (!session) return { ok: false, message: 'the session has ended; log in again' };
  const check = await verifyTokenId(redis, session.tokenId, session.tokenHash);
  if (!check.ok) return { ok: false, message: `the session's ${REFUSALS[check.reason].replace(/^the /, '')}` };
  return { ok: true, principal: check.principal, session };
}

/**
 * Whether a browser request comes from this site: Sec-Fetch-Site when the browser sends it, else the Origin
 * header's host. A cookie-authenticated mutation with neither is refused: every browser sends Origin on POST, PUT,
 * PATCH and DELETE, so only a non-browser client lacks it, and that should use a bearer token.
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    // Through URL on both sides, so a default port (`Host: example:80`) compares equal to its absence.
    return new URL(origin).host === new URL(`${request.protocol}://${request.host}`).host;
  } catch {
    return false;
  }
}

/** Refuses a request: JSON `{ error: { code, message, fix } }`, or for a browser asking for a page at 401, the login page. */
export function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  status: 401 | 403 | 429,
  code: ErrorCode,
  message: string,
): FastifyReply {
  reply.code(status).header('cache-control', 'no-store');
  if (status !== 403 && wantsHtml(request)) return reply.type('text/html; charset=utf-8').send(loginPage(message));
  return reply.send({ error: { code, message, fix: ERROR_CODES[code].fix } });
}

export function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}
