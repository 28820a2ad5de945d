// Dashboard tokens in Redis: one hash, token id → record, under a fleet key no team user can reach. The record
// holds the SHA-256 of the token text; the text itself is shown once, at creation, and never stored. Lookups read
// one field by the id inside the token, then compare hashes in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type DashboardPrincipal,
  type DashboardRole,
  type DashboardToken,
  dashboardKeys,
  dashboardTokenSchema,
  formatToken,
  RdcError,
  tokenIdOf,
} from '@rediacc/core';
import type { Redis } from 'ioredis';
import { appendAudit, resolveActor } from './audit-log.js';
import { getTeam, listTeams } from './registry.js';

export interface NewDashboardToken {
  role: DashboardRole;
  /** Scope the token to one team; omit for every team. */
  team?: string | undefined;
  /** Lifetime in ms; omit for a token that lasts until revoked. */
  expiresInMs?: number | undefined;
  /** Who the audit log names (default: the connection's Redis user). */
  createdBy?: string | undefined;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Stores a new token and returns its text (the only time anyone sees it) with its record. */
export async function createDashboardToken(
  redis: Redis,
  input: NewDashboardToken,
  now = Date.now(),
): Promise<{ token: string; record: DashboardToken }> {
  if (input.team !== undefined) await getTeam(redis, input.team);
  if (input.expiresInMs !== undefined && !(Number.isSafeInteger(input.expiresInMs) && input.expiresInMs > 0)) {
    throw new RdcError(
      'RDC_INVALID_INPUT',
      `token lifetime must be a positive whole number of ms, not ${input.expiresInMs}`,
    );
  }
  const actor = await resolveActor(redis, input.createdBy);
  for (;;) {
    const id = randomBytes(8).toString('hex');
    const token = formatToken(id, randomBytes(32).toString('base64url'));
    const record = dashboardTokenSchema.parse({
      id,
      hash: hashToken(token),
      role: input.role,
      createdAt: now,
      ...(input.team !== undefined && { team: input.team }),
      ...(input.expiresInMs !== undefined && { expiresAt: now + input.expiresInMs }),
      createdBy: actor,
    });
    // HSETNX: two creates can never share an id (2^64 ids make a clash all but impossible; this makes it harmless).
    if (await redis.hsetnx(dashboardKeys.tokens, id, JSON.stringify(record))) {
      await auditToken(redis, 'token.create', record, actor);
      return { token, record };
    }
  }
}

/** Every stored token, oldest first, without hashes; records that do not parse are skipped. */
export async function listDashboardTokens(redis: Redis): Promise<DashboardPrincipal[]> {
  const raw = await redis.hvals(dashboardKeys.tokens);
  return raw
    .map(parseRecord)
    .filter((record): record is DashboardToken => record !== undefined)
    .map(({ hash: _hash, ...principal }) => principal)
    .sort((a, b) => a.createdAt - b.createdAt);
}

/** Removes a token (its sessions die with it: every request checks the token again). */
export async function revokeDashboardToken(redis: Redis, id: string, actor?: string): Promise<DashboardPrincipal> {
  const raw = await redis.hget(dashboardKeys.tokens, id);
  const record = raw === null ? undefined : parseRecord(raw);
  if (!record || (await redis.hdel(dashboardKeys.tokens, id)) === 0) {
    throw new RdcError('RDC_TOKEN_UNKNOWN', `no dashboard token has id ${id}`);
  }
  await auditToken(redis, 'token.revoke', record, await resolveActor(redis, actor));
  const { hash: _hash, ...principal } = record;
  return principal;
}

/**
 * A token's create and revoke go to the audit log with the actor: a team token's to its team's log, a token of
 * every team (the fleet path) to every team's log, as a webhook of every team is.
 */
async function auditToken(
  redis: Redis,
  action: 'token.create' | 'token.revoke',
  record: DashboardToken,
  actor: string,
): Promise<void> {
  const teams = record.team !== undefined ? [record.team] : (await listTeams(redis)).map((t) => t.name);
  const detail = {
    role: record.role,
    scope: record.team ?? 'every team',
    ...(record.expiresAt !== undefined && { expiresAt: record.expiresAt }),
  };
  for (const team of teams) {
    await appendAudit(redis, { actor, team, action, target: record.id, outcome: 'ok', detail });
  }
}

export type TokenCheck =
  | { ok: true; principal: DashboardPrincipal }
  | { ok: false; reason: 'malformed' | 'unknown' | 'expired' };

/** Whether `token` is a stored, unexpired token, and what it may see. */
export async function verifyDashboardToken(redis: Redis, token: string, now = Date.now()): Promise<TokenCheck> {
  const id = tokenIdOf(token);
  if (!id) return { ok: false, reason: 'malformed' };
  return verifyTokenId(redis, id, hashToken(token), now);
}

/** The same check for a token known by id and hash (a session remembers those, never the token text). */
export async function verifyTokenId(redis: Redis, id: string, hash: string, now = Date.now()): Promise<TokenCheck> {
  const raw = await redis.hget(dashboardKeys.tokens, id);
  const record = raw === null ? undefined : parseRecord(raw);
  if (!record || !sameHash(record.hash, hash)) return { ok: false, reason: 'unknown' };
  if (record.expiresAt !== undefined && record.expiresAt <= now) return { ok: false, reason: 'expired' };
  const { hash: _hash, ...principal } = record;
  return { ok: true, principal };
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

function parseRecord(raw: string): DashboardToken | undefined {
  try {
    const parsed = dashboardTokenSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
