// The audit log: a capped stream per team, `rdc:{team}:audit`, so the team's ACL patterns cover it and on Redis
// Cluster it lives on the team's shard. Entries are appended with XADD … MAXLEN ~ AUDIT_KEPT; their time is the
// stream id (the Redis server's clock, and never earlier than the entry before). Every role may XADD it; only a
// team admin may delete or trim it. XADD's own MAXLEN/MINID argument is a trim that ACLs cannot forbid, so an
// appender could still cut history: auditIntegrity detects that from the stream's own counters.
import {
  type AuditEntry,
  type AuditInput,
  actorSchema,
  auditEntrySchema,
  auditInputSchema,
  parseInput,
} from '@rediacc/core';
import type { ChainableCommander, Redis } from 'ioredis';
import { whoAmI } from './access.js';
import { registryKeys } from './keys.js';

/** Entries kept per team (about: MAXLEN ~ trims whole stream nodes, never below this). */
export const AUDIT_KEPT = 100_000;

const PAGE = 1_000;

function fieldsOf(entry: AuditInput): string[] {
  const fields = ['actor', entry.actor, 'team', entry.team, 'action', entry.action, 'target', entry.target];
  fields.push('outcome', entry.outcome);
  if (entry.detail && Object.keys(entry.detail).length > 0) fields.push('detail', JSON.stringify(entry.detail));
  return fields;
}

/** Adds the XADD of `entry` to a pipeline or transaction the caller sends anyway (no round trip of its own). */
export function queueAudit(commands: ChainableCommander, input: AuditInput): ChainableCommander {
  const entry = parseInput(auditInputSchema, input, 'audit entry');
  return commands.xadd(registryKeys.audit(entry.team), 'MAXLEN', '~', AUDIT_KEPT, '*', ...fieldsOf(entry));
}

/** Appends one entry to its team's audit log; resolves with the entry's stream id. */
export async function appendAudit(redis: Redis, input: AuditInput): Promise<string> {
  const entry = parseInput(auditInputSchema, input, 'audit entry');
  const id = await redis.xadd(registryKeys.audit(entry.team), 'MAXLEN', '~', AUDIT_KEPT, '*', ...fieldsOf(entry));
  return String(id);
}

/**
 * Who the audit log names for this connection: the configured identity when there is one (RDC_ACTOR), else
 * the Redis ACL user (ACL WHOAMI), else "unknown".
 */
export async function resolveActor(redis: Redis, configured?: string): Promise<string> {
  if (configured !== undefined) return parseInput(actorSchema, configured, 'actor');
  const user = await whoAmI(redis);
  const parsed = actorSchema.safeParse(user);
  return parsed.success ? parsed.data : 'unknown';
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Stream entries that are not valid audit entries (written by something else): counted, not shown. */
  skipped: number;
  /** The id to read on from. */
  lastId: string;
}

/** Entries of `team` from `sinceMs` (server time) on, oldest first, at most `limit`. */
export async function readAudit(
  redis: Redis,
  team: string,
  options: { sinceMs?: number; limit?: number } = {},
): Promise<AuditPage> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const out: AuditPage = { entries: [], skipped: 0, lastId: options.sinceMs ? `${options.sinceMs}-0` : '0-0' };
  let start = options.sinceMs ? `${options.sinceMs}-0` : '-';
  while (out.entries.length < limit) {
    const count = Math.min(PAGE, limit - out.entries.length);
    const raw = await redis.xrange(registryKeys.audit(team), start, '+', 'COUNT', count);
    collect(out, raw);
    if (raw.length < count) break;
    start = `(${raw[raw.length - 1]![0]}`;
  }
  return out;
}

/**
 * Waits up to `blockMs` for entries after `afterId` in any of `teams` (XREAD BLOCK; use a connection of its own).
 * Entries of several teams come team by team, each oldest first.
 */
export async function followAudit(
  redis: Redis,
  after: ReadonlyMap<string, string>,
  blockMs: number,
): Promise<{ team: string; page: AuditPage }[]> {
  const teams = [...after.keys()];
  const reply = await redis.xread(
    'COUNT',
    PAGE,
    'BLOCK',
    blockMs,
    'STREAMS',
    ...teams.map((t) => registryKeys.audit(t)),
    ...teams.map((t) => after.get(t)!),
  );
  if (!reply) return [];
  return reply.map(([key, raw]) => {
    const team = teams.find((t) => registryKeys.audit(t) === key)!;
    const page: AuditPage = { entries: [], skipped: 0, lastId: after.get(team)! };
    collect(page, raw);
    return { team, page };
  });
}

function collect(page: AuditPage, raw: [id: string, fields: string[]][]): void {
  for (const [id, fields] of raw) {
    page.lastId = id;
    const entry = entryOf(id, fields);
    if (entry) page.entries.push(entry);
    else page.skipped++;
  }
}

function entryOf(id: string, fields: string[]): AuditEntry | undefined {
  const f: Record<string, unknown> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1];
  if (typeof f.detail === 'string') {
    try {
      f.detail = JSON.parse(f.detail);
    } catch {
      return undefined;
    }
  }
  const ms = Number(id.split('-')[0]);
  const parsed = auditEntrySchema.safeParse({ ...f, id, at: new Date(ms).toISOString() });
  return parsed.success ? parsed.data : undefined;
}

export interface AuditIntegrity {
  team: string;
  /** Entries in the stream now. */
  length: number;
  /** Entries ever appended (Redis keeps the count even when entries are trimmed). */
  added: number;
  /** Entries that are gone although the cap would have kept them: removed with XDEL, or an XADD/XTRIM trim. */
  missing: number;
  /** Whether anything was deleted by id (XDEL). */
  deletedById: boolean;
}

/**
 * Checks that the log lost nothing but what the cap drops: approximate trimming never leaves fewer than
 * AUDIT_KEPT entries, so fewer than min(added, AUDIT_KEPT) means someone cut it. Cannot see a cut that was
 * refilled with as many forged entries; an export kept elsewhere (`rediacc audit export`) can.
 */
export async function auditIntegrity(redis: Redis, team: string): Promise<AuditIntegrity> {
  let info: unknown[];
  try {
    info = (await redis.call('XINFO', 'STREAM', registryKeys.audit(team))) as unknown[];
  } catch (error) {
    if (error instanceof Error && /no such key/i.test(error.message)) {
      return { team, length: 0, added: 0, missing: 0, deletedById: false };
    }
    throw error;
  }
  const field = (name: string) => info[info.indexOf(name) + 1];
  const length = Number(field('length'));
  const added = Number(field('entries-added'));
  const maxDeleted = String(field('max-deleted-entry-id'));
  return {
    team,
    length,
    added,
    missing: Math.max(0, Math.min(added, AUDIT_KEPT) - length),
    deletedById: maxDeleted !== '0-0',
  };
}
