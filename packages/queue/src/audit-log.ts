// The audit log of a team: one capped stream per Redis user that appends, `rdc:{team}:audit:USER`, plus a set of
// those users, `rdc:{team}:audit-writers`. Both sit under the team's prefix, so its ACL patterns cover them and on
// Redis Cluster they live on the team's shard. rediacc's ACLs let each team user XADD to its own stream and SADD to
// the set, nothing else: the stream an entry is in proves which user wrote it, and XADD's MAXLEN/MINID argument (a
// trim no ACL rule can forbid) can cut only the writer's own entries, which auditIntegrity then reports.
// An entry's time is its stream id: the Redis server's clock, never earlier than the writer's previous entry.
import {
  type AuditEntry,
  type AuditInput,
  actorSchema,
  auditEntrySchema,
  auditInputSchema,
  parseInput,
  registryKeys,
} from '@rediacc/core';
import type { ChainableCommander, Redis } from 'ioredis';
import { whoAmI } from './access.js';
import { type RedisCommand, sendCommands } from './redis-command.js';

/** Entries kept per user stream (about: MAXLEN ~ trims whole stream nodes, never below this). */
export const AUDIT_KEPT = 100_000;

const PAGE = 1_000;

const writers = new WeakMap<Redis, Promise<string>>();

/**
 * The Redis user this connection appends as (ACL WHOAMI, remembered per connection once Redis answered);
 * "unknown" when Redis won't say, asked again next time (the failure may have been a passing disconnect).
 */
export function auditWriter(redis: Redis): Promise<string> {
  let writer = writers.get(redis);
  if (!writer) {
    writer = whoAmI(redis).then((user) => {
      if (user === undefined) writers.delete(redis);
      return user ?? 'unknown';
    });
    writers.set(redis, writer);
  }
  return writer;
}

/**
 * Who the audit log names as actor: the configured identity when there is one (RDC_ACTOR), else the Redis user.
 */
export async function resolveActor(redis: Redis, configured?: string): Promise<string> {
  if (configured !== undefined) return parseInput(actorSchema, configured, 'actor');
  const parsed = actorSchema.safeParse(await auditWriter(redis));
  return parsed.success ? parsed.data : 'unknown';
}

/**
 * An entry's stream fields. The team is the stream key's, and an actor that is the writer (the stream's user) is
 * left out: a reader fills both in (entryOf). So is a task.create's `created: true` (storedDetail). Entries written
 * before carry all three, and read the same.
 */
function fieldsOf(entry: AuditRecordInput, actor: string, writer: string): string[] {
  const fields = actor === writer ? [] : ['actor', actor];
  fields.push('action', entry.action, 'target', entry.target, 'outcome', entry.outcome);
  const detail = storedDetail(entry);
  if (detail && Object.keys(detail).length > 0) fields.push('detail', JSON.stringify(detail));
  return fields;
}

/**
 * What a create made is the usual case, so a task.create entry (other than a refused one) stores `created` only
 * when false (the taskId named a task that existed already); readers fill in `true` (readDetail). One entry per
 * created task, so the 15 bytes count.
 */
function storedDetail(entry: AuditRecordInput): AuditInput['detail'] {
  const { detail } = entry;
  if (!createdIsImplied(entry.action, entry.outcome) || detail?.created !== true) return detail;
  const { created: _, ...rest } = detail;
  return rest;
}

/** The detail as read: a task.create entry without `created` made its task (storedDetail). */
function readDetail(action: unknown, outcome: unknown, detail: unknown): unknown {
  if (!createdIsImplied(action, outcome)) return detail;
  if (detail === undefined) return { created: true };
  if (detail === null || typeof detail !== 'object' || 'created' in detail) return detail;
  return { ...detail, created: true };
}

function createdIsImplied(action: unknown, outcome: unknown): boolean {
  return action === 'task.create' && outcome !== 'denied';
}

/**
 * Adds the appends of `inputs` to a pipeline or transaction the caller sends anyway (no round trip of its own):
 * an XADD to `writer`'s stream per entry, and one SADD of `writer` to each team's writers.
 */
export function queueAudit(
  commands: ChainableCommander,
  writer: string,
  inputs: AuditInput | readonly AuditInput[],
  { parsed = false }: { parsed?: boolean } = {},
): ChainableCommander {
  const list: readonly AuditInput[] = Array.isArray(inputs) ? inputs : [inputs as AuditInput];
  const entries = parsed ? list : list.map((input) => parseInput(auditInputSchema, input, 'audit entry'));
  for (const [name, key, ...args] of auditCommands(writer, entries)) {
    if (name === 'sadd') commands.sadd(String(key), ...args);
    else commands.xadd(String(key), ...args);
  }
  return commands;
}

/**
 * The commands of queueAudit, for entries built only of values validated already (the task.create entries of a
 * createMany's specs): not parsed again, which would cost about as much as the specs' own validation.
 */
export function auditCommands(writer: string, entries: readonly AuditInput[]): RedisCommand[] {
  const out = entries.map((entry) => auditAppendCommand(writer, entry.actor, entry));
  for (const team of new Set(entries.map((e) => e.team))) out.push(auditWritersCommand(team, writer));
  return out;
}

/** An audit entry without its actor: the entries of one call share theirs (auditAppendCommand). */
export type AuditRecordInput = Omit<AuditInput, 'actor'>;

/** The XADD of one entry of `actor`, validated already, to `writer`'s stream (without the writers set's SADD). */
export function auditAppendCommand(writer: string, actor: string, entry: AuditRecordInput): RedisCommand {
  return [
    'xadd',
    registryKeys.auditStream(entry.team, writer),
    'MAXLEN',
    '~',
    AUDIT_KEPT,
    '*',
    ...fieldsOf(entry, actor, writer),
  ];
}

/** How long a team's writers set is taken to hold a writer once an append with its SADD went through. */
export const WRITER_LISTED_MS = 5_000;

/**
 * The teams whose writers set was given this writer lately (an append sent with its SADD went through): appends
 * there leave the SADD out for a while, one command fewer each. Nothing removes a writer from the set; one lost
 * meanwhile (a flushed or restored Redis) lists the writer again with its first append after that, and nothing in
 * its stream is lost while the stream is unlisted.
 */
export class WriterListing {
  /** Until when (ms) each team's set is taken to hold the writer. */
  private readonly listed = new Map<string, number>();
  /** Teams whose SADD went out with appends not answered yet. */
  private readonly sent = new Set<string>();

  constructor(private readonly listedMs = WRITER_LISTED_MS) {}

  /** Whether `team`'s SADD goes with the appends about to be sent; if so, it counts as sent. */
  due(team: string): boolean {
    if ((this.listed.get(team) ?? 0) > Date.now()) return false;
    this.sent.add(team);
    return true;
  }

  /** The appends sent to `team` went through, its SADD (if sent) with them. */
  answered(team: string): void {
    if (this.sent.delete(team)) this.listed.set(team, Date.now() + this.listedMs);
  }
}

/** The SADD that lists `writer` among the team's audit writers (readers find its stream through it). */
export function auditWritersCommand(team: string, writer: string): RedisCommand {
  return ['sadd', registryKeys.auditWriters(team), writer];
}

/**
 * Sends the appends of `inputs`: the commands of each team together (sendCommands), all teams at once (a team's
 * audit keys share its hash tag; two teams' may sit on different Cluster shards, which one pipeline may not span).
 * The replies, in no set order. `parsed`: every entry was parsed with auditInputSchema already (AuditWriter.append),
 * so it is not parsed again. `listWriter`: whether to (re)add `writer` to a team's writers set with these entries
 * (always, unless the caller knows it sent that SADD a moment ago).
 */
export async function sendAudit(
  redis: Redis,
  writer: string,
  inputs: readonly AuditInput[],
  { parsed = false, listWriter = () => true }: { parsed?: boolean; listWriter?: (team: string) => boolean } = {},
): Promise<[Error | null, unknown][]> {
  const teams = new Map<string, RedisCommand[]>();
  for (const input of inputs) {
    const entry = parsed ? input : parseInput(auditInputSchema, input, 'audit entry');
    const command = auditAppendCommand(writer, entry.actor, entry);
    const commands = teams.get(entry.team);
    if (commands) commands.push(command);
    else teams.set(entry.team, [command]);
  }
  for (const [team, commands] of teams) if (listWriter(team)) commands.push(auditWritersCommand(team, writer));
  const replies = await Promise.all([...teams.values()].map((commands) => sendCommands(redis, commands)));
  return replies.flat();
}

/**
 * Appends one entry to its team's audit log, in the stream of the connection's Redis user; resolves with the
 * entry's stream id. For callers outside the task path (vault set/delete, key rotation).
 */
export async function appendAudit(redis: Redis, input: AuditInput): Promise<string> {
  const writer = await auditWriter(redis);
  const replies = (await queueAudit(redis.pipeline(), writer, input).exec()) ?? [];
  const failed = replies.find(([error]) => error)?.[0];
  if (failed) throw failed;
  return String(replies[0]?.[1]);
}

/** Where reading stopped in each stream: stream key → last id read. */
export type AuditCursors = Map<string, { team: string; user: string; lastId: string }>;

export interface AuditPage {
  /** Oldest first (by server time, then writer). */
  entries: AuditEntry[];
  /** Stream entries that are not valid audit entries (written by something else): counted, not shown. */
  skipped: number;
}

/** The users that have an audit stream in `team`. */
export async function auditWritersOf(redis: Redis, team: string): Promise<string[]> {
  return (await redis.smembers(registryKeys.auditWriters(team))).sort();
}

/** Entries of `team` from `sinceMs` (server time) on, every writer's stream merged, oldest first. */
export async function readAudit(redis: Redis, team: string, options: { sinceMs?: number } = {}): Promise<AuditPage> {
  const out: AuditPage = { entries: [], skipped: 0 };
  for (const user of await auditWritersOf(redis, team)) {
    const key = registryKeys.auditStream(team, user);
    let start = options.sinceMs ? `${options.sinceMs}-0` : '-';
    for (;;) {
      const raw = await redis.xrange(key, start, '+', 'COUNT', PAGE);
      collect(out, team, user, raw);
      if (raw.length < PAGE) break;
      start = `(${raw[raw.length - 1]![0]}`;
    }
  }
  out.entries.sort(compareEntries);
  return out;
}

/**
 * Adds to `cursors` the streams of `teams` it does not follow yet (writers that appeared since), starting at
 * `fromId` (for example `${Date.now()}-0`); streams already followed keep their position.
 */
export async function addAuditCursors(
  redis: Redis,
  teams: readonly string[],
  cursors: AuditCursors,
  fromId: string,
): Promise<void> {
  for (const team of teams) {
    for (const user of await auditWritersOf(redis, team)) {
      const key = registryKeys.auditStream(team, user);
      if (!cursors.has(key)) cursors.set(key, { team, user, lastId: fromId });
    }
  }
}

/**
 * Waits up to `blockMs` for entries after the cursors (XREAD BLOCK; use a connection of its own) and moves the
 * cursors past what it returns.
 */
export async function followAudit(redis: Redis, cursors: AuditCursors, blockMs: number): Promise<AuditPage> {
  const out: AuditPage = { entries: [], skipped: 0 };
  if (cursors.size === 0) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(blockMs, 1_000)));
    return out;
  }
  const keys = [...cursors.keys()];
  const teams = new Set([...cursors.values()].map((c) => c.team));
  // One XREAD may name only keys of one hash slot on a Cluster: there, several teams are read without blocking,
  // one XREAD each, and an empty round waits a moment instead.
  const reply =
    redis.isCluster && teams.size > 1
      ? await readTeamsOnCluster(redis, cursors, teams, blockMs)
      : await redis.xread(
          'COUNT',
          PAGE,
          'BLOCK',
          blockMs,
          'STREAMS',
          ...keys,
          ...keys.map((k) => cursors.get(k)!.lastId),
        );
  for (const [key, raw] of reply ?? []) {
    const cursor = cursors.get(key);
    if (!cursor) continue;
    collect(out, cursor.team, cursor.user, raw);
    const last = raw[raw.length - 1];
    if (last) cursor.lastId = last[0];
  }
  out.entries.sort(compareEntries);
  return out;
}

type XReadReply = [key: string, items: [id: string, fields: string[]][]][];

async function readTeamsOnCluster(
  redis: Redis,
  cursors: AuditCursors,
  teams: Set<string>,
  blockMs: number,
): Promise<XReadReply> {
  const read = () =>
    Promise.all(
      [...teams].map((team) => {
        const keys = [...cursors].filter(([, c]) => c.team === team).map(([key]) => key);
        return redis.xread('COUNT', PAGE, 'STREAMS', ...keys, ...keys.map((k) => cursors.get(k)!.lastId));
      }),
    ).then((replies) => replies.flatMap((r) => r ?? []) as XReadReply);
  const first = await read();
  if (first.length > 0) return first;
  await new Promise((resolve) => setTimeout(resolve, Math.min(blockMs, 500)));
  return read();
}

/** Server time, then stream sequence, then writer: entries of different writers in one millisecond keep some order. */
export function compareEntries(a: AuditEntry, b: AuditEntry): number {
  const [am = 0, as = 0] = a.id.split('-').map(Number);
  const [bm = 0, bs = 0] = b.id.split('-').map(Number);
  return am - bm || as - bs || a.user.localeCompare(b.user);
}

function collect(page: AuditPage, team: string, user: string, raw: [id: string, fields: string[]][]): void {
  for (const [id, fields] of raw) {
    const entry = entryOf(team, user, id, fields);
    if (entry) page.entries.push(entry);
    else page.skipped++;
  }
}

function entryOf(team: string, user: string, id: string, fields: string[]): AuditEntry | undefined {
  // The stream's team, and its user as the actor, unless the entry names its own (fieldsOf leaves them out).
  const f: Record<string, unknown> = { team, actor: user };
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1];
  if (typeof f.detail === 'string') {
    try {
      f.detail = JSON.parse(f.detail);
    } catch {
      return undefined;
    }
  }
  const detail = readDetail(f.action, f.outcome, f.detail);
  if (detail !== undefined) f.detail = detail;
  const ms = Number(id.split('-')[0]);
  const parsed = auditEntrySchema.safeParse({ ...f, user, id, at: new Date(ms).toISOString() });
  return parsed.success ? parsed.data : undefined;
}

export interface AuditIntegrity {
  team: string;
  /** Whose stream: the Redis user that appended it (and, under rediacc's ACLs, the only team user that could cut it). */
  user: string;
  /** Entries in the stream now. */
  length: number;
  /** Entries ever appended (Redis keeps the count even when entries are trimmed). */
  added: number;
  /** Entries that are gone although the cap would have kept them: removed with XDEL, or an XADD/XTRIM trim. */
  missing: number;
  /** Whether entries were deleted by id (XDEL), or the whole stream although the writers set still names it. */
  deleted: boolean;
}

/**
 * Checks, per writer's stream, that it lost nothing but what the cap drops: approximate trimming never leaves
 * fewer than AUDIT_KEPT entries, so fewer than min(added, AUDIT_KEPT) means someone cut it; a writer whose stream
 * is gone had it deleted (only an admin can). Cannot see a cut refilled with as many new entries, nor a writer
 * removed from the set along with its stream (admin only again): an export kept elsewhere (`audit export`) can.
 */
export async function auditIntegrity(redis: Redis, team: string): Promise<AuditIntegrity[]> {
  const out: AuditIntegrity[] = [];
  for (const user of await auditWritersOf(redis, team)) {
    let info: unknown[];
    try {
      info = (await redis.call('XINFO', 'STREAM', registryKeys.auditStream(team, user))) as unknown[];
    } catch (error) {
      if (error instanceof Error && /no such key/i.test(error.message)) {
        out.push({ team, user, length: 0, added: 0, missing: 0, deleted: true });
        continue;
      }
      throw error;
    }
    const field = (name: string) => info[info.indexOf(name) + 1];
    const length = Number(field('length'));
    const added = Number(field('entries-added'));
    out.push({
      team,
      user,
      length,
      added,
      missing: Math.max(0, Math.min(added, AUDIT_KEPT) - length),
      deleted: String(field('max-deleted-entry-id')) !== '0-0',
    });
  }
  return out;
}
