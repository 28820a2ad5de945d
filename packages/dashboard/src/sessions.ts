// Login sessions, kept server-side in Redis rather than in a signed cookie: logout and token revocation must end a
// session at once, which a self-contained cookie cannot do without a deny list, and the dashboard would need a
// signing secret to keep and rotate. The cookie holds 32 random bytes; Redis holds only their SHA-256 (a Redis
// reader gets no usable cookie), with the token's id and hash, the session's CSRF token, and an expiry no later
// than the token's own.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { DashboardPrincipal } from '@rediacc/core';
import { dashboardKeys } from '@rediacc/core';
import { hashToken } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/** A session lasts at most this long, and never past its token's expiry. */
export const SESSION_TTL_MS = 12 * 3_600_000;

const sessionSchema = z.object({
  tokenId: z.string(),
  tokenHash: z.string(),
  csrf: z.string(),
  createdAt: z.number(),
});
export type Session = z.infer<typeof sessionSchema>;

/** Starts a session for an authenticated token; returns the cookie value and the session. */
export async function createSession(
  redis: Redis,
  principal: DashboardPrincipal,
  tokenHash: string,
  now = Date.now(),
): Promise<{ cookie: string; session: Session; ttlMs: number }> {
  const cookie = randomBytes(32).toString('base64url');
  const session: Session = {
    tokenId: principal.id,
    tokenHash,
    csrf: randomBytes(32).toString('base64url'),
    createdAt: now,
  };
  const ttlMs = Math.min(SESSION_TTL_MS, (principal.expiresAt ?? Number.POSITIVE_INFINITY) - now);
  await redis.set(dashboardKeys.session(hashToken(cookie)), JSON.stringify(session), 'PX', Math.max(1, ttlMs));
  return { cookie, session, ttlMs };
}

/** The session a cookie value names, or undefined (unknown, expired, ended, or not a value we issue). */
export async function readSession(redis: Redis, cookie: string): Promise<Session | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(cookie)) return undefined;
  const raw = await redis.get(dashboardKeys.session(hashToken(cookie)));
  if (raw === null) return undefined;
  try {
    const parsed = sessionSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function endSession(redis: Redis, cookie: string): Promise<void> {
  await redis.del(dashboardKeys.session(hashToken(cookie)));
}

/** Whether a submitted CSRF token is the session's (constant time). */
export function csrfMatches(session: Session, submitted: unknown): boolean {
  if (typeof submitted !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
