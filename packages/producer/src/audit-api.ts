// The audit log as the SDK reads it: every team the caller may read (or one), all writers' streams merged oldest
// first, checked for cuts, and followed live. Where each stream was read up to stays inside `follow`.
import { type AuditEntry, parseInput, registryKeys, teamNameSchema } from '@rediacc/core';
import {
  type AuditCursors,
  type AuditIntegrity,
  addAuditCursors,
  asAccessDenied,
  auditIntegrity,
  compareEntries,
  duplicateRedis,
  followAudit,
  getTeam,
  listTeams,
  readAudit,
  readableTeams,
} from '@rediacc/queue';
import type { Redis } from 'ioredis';

export interface AuditReadOptions {
  /** Only this team (default: every team the caller may read). */
  team?: string;
  /** Only entries this recent, in ms before now on the Redis server's clock. */
  sinceMs?: number;
  /** At most the newest `limit` entries. */
  limit?: number;
}

export interface AuditRead {
  /** The teams read. */
  teams: string[];
  /** Oldest first (by server time, then writer). */
  entries: AuditEntry[];
  /** Stream entries that are not audit entries (written by something else): counted, not returned. */
  skipped: number;
  /** When it was read, in ms on the Redis server's clock: `follow` goes on from here. */
  readAtMs: number;
}

export interface AuditFollowOptions {
  /** Ends the iteration (for example on Ctrl-C). */
  signal?: AbortSignal;
  /** How long one wait for new entries may block, in ms. */
  blockMs?: number;
}

const FOLLOW_BLOCK_MS = 5_000;

export class Audit {
  constructor(private readonly redis: Redis) {}

  /** The entries of one team or of every team the caller may read, merged oldest first. */
  async read(options: AuditReadOptions = {}): Promise<AuditRead> {
    const teams = await this.teamsToRead(options.team);
    const readAtMs = await this.serverNow();
    const since = options.sinceMs === undefined ? {} : { sinceMs: readAtMs - options.sinceMs };
    const pages = await Promise.all(
      teams.map((team) =>
        readAudit(this.redis, team, since).catch(async (error: unknown) => {
          throw await asAccessDenied(error, this.redis, { action: 'read the audit log', team });
        }),
      ),
    );
    const entries = pages.flatMap((p) => p.entries).sort(compareEntries);
    return {
      teams,
      entries: options.limit === undefined ? entries : entries.slice(-options.limit),
      skipped: pages.reduce((n, p) => n + p.skipped, 0),
      readAtMs,
    };
  }

  /**
   * The writers' streams of `teams` that lost entries their cap would have kept (XDEL, DEL, or an XADD/XTRIM
   * cut); streams that are whole are left out.
   */
  async cuts(teams: readonly string[]): Promise<AuditIntegrity[]> {
    const out: AuditIntegrity[] = [];
    for (const team of teams) {
      for (const check of await auditIntegrity(this.redis, team)) {
        if (check.missing > 0 || check.deleted) out.push(check);
      }
    }
    return out;
  }

  /**
   * The entries appended after `read`, as they come, until `signal` aborts: `read`'s entries are not yielded
   * again, and writers that appear meanwhile (a new bridge user, an admin's first change) are followed too.
   */
  follow(read: AuditRead, options: AuditFollowOptions = {}): AsyncGenerator<AuditEntry, void, undefined> {
    return followEntries(this.redis, read, options);
  }

  private async teamsToRead(team: string | undefined): Promise<string[]> {
    if (team !== undefined) {
      parseInput(teamNameSchema, team, 'team name');
      return [(await getTeam(this.redis, team)).name];
    }
    return readableTeams(
      this.redis,
      (await listTeams(this.redis)).map((t) => t.name),
    );
  }

  /** Now on the Redis server's clock, in ms: entry times are the server's, so `sinceMs` is measured on it too. */
  private async serverNow(): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }
}

async function* followEntries(
  redis: Redis,
  read: AuditRead,
  options: AuditFollowOptions,
): AsyncGenerator<AuditEntry, void, undefined> {
  const { signal } = options;
  if (signal?.aborted) return;
  // XREAD BLOCK holds its connection: a connection of its own, which an abort disconnects to end the wait.
  const reader = duplicateRedis(redis, { maxRetriesPerRequest: null, enableOfflineQueue: true });
  reader.on('error', () => {});
  // A disconnected Cluster may keep a command it was sent queued rather than fail it: the abort ends the wait too.
  let aborted: () => void = () => {};
  const abortedPage = new Promise<{ entries: AuditEntry[]; skipped: number }>((resolve) => {
    aborted = () => resolve({ entries: [], skipped: 0 });
  });
  const stop = () => {
    aborted();
    reader.disconnect();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const from = `${read.readAtMs}-0`;
    const cursors: AuditCursors = new Map();
    await addAuditCursors(reader, read.teams, cursors, from);
    for (const entry of read.entries) {
      const cursor = cursors.get(registryKeys.auditStream(entry.team, entry.user));
      if (cursor) cursor.lastId = entry.id;
    }
    while (!signal?.aborted) {
      const page = await Promise.race([
        followAudit(reader, cursors, options.blockMs ?? FOLLOW_BLOCK_MS).catch((error: unknown) => {
          if (signal?.aborted) return { entries: [], skipped: 0 };
          throw error;
        }),
        abortedPage,
      ]);
      yield* page.entries;
      if (!signal?.aborted) await addAuditCursors(reader, read.teams, cursors, from);
    }
  } catch (error) {
    // An abort disconnects the reader: the command it was in (any of them, not only the blocking read) fails
    // with "connection lost", which is the end that was asked for.
    if (signal?.aborted) return;
    throw error;
  } finally {
    signal?.removeEventListener('abort', stop);
    reader.disconnect();
  }
}
