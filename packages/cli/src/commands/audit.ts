// rediacc audit [--team T] [--since 1h] [--limit N] [--follow] [--json] | audit export [--team T] [--since 30d]
// Reads the teams' audit streams (every team the caller may read unless --team says), merged oldest first.
import { type AuditEntry, durationSchema, teamNameSchema } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import {
  type AuditCursors,
  addAuditCursors,
  asAccessDenied,
  auditIntegrity,
  compareEntries,
  followAudit,
  readAudit,
  readableTeams,
  registryKeys,
} from '@rediacc/queue';
import type { Command } from 'commander';
import { withClient } from '../context.js';
import { integer, schemaFlag } from '../options.js';
import { type OutputOptions, printJson, printJsonLine, printLine, printNote, printTable } from '../output.js';

interface AuditOptions extends OutputOptions {
  team?: string;
  since?: number;
  limit: number;
  follow?: boolean;
}

type Redis = RediaccClient['redis'];

const FOLLOW_BLOCK_MS = 5_000;

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('show the audit log: who did what, to which task, machine or user, and how it ended')
    .option('--team <team>', 'only this team (default: every team you may read)', schemaFlag(teamNameSchema))
    .option('--since <duration>', 'only entries this recent, for example 15m, 1h, 30d', schemaFlag(durationSchema))
    .option('--limit <n>', 'at most the newest N entries (before --follow)', integer(1, 1_000_000), 1_000)
    .option('--follow', 'keep printing new entries as they are appended, until Ctrl-C')
    .option('--json', 'machine-readable output (an array of entries; with --follow one entry per line)')
    .action((options: AuditOptions) =>
      withClient(async (client) => {
        const teams = await teamsToRead(client, options.team);
        const now = await serverNow(client.redis);
        const entries = (await readAll(client.redis, teams, options.since, now)).slice(-options.limit);
        await warnIfCut(client.redis, teams);
        if (options.follow) {
          for (const entry of entries) printEntry(entry, options.json === true);
          await follow(client.redis, teams, entries, now, options.json === true);
        } else if (options.json) printJson(entries);
        else printTable(entries.map(row), ['at', 'team', 'actor', 'action', 'target', 'outcome', 'detail']);
      }),
    );
  audit
    .command('export')
    .description('write the audit log as JSON lines (one entry per line) for compliance archives')
    .option('--team <team>', 'only this team (default: every team you may read)', schemaFlag(teamNameSchema))
    .option('--since <duration>', 'only entries this recent, for example 30d', schemaFlag(durationSchema))
    .action((options: Pick<AuditOptions, 'team' | 'since'>) =>
      withClient(async (client) => {
        const teams = await teamsToRead(client, options.team);
        const entries = await readAll(client.redis, teams, options.since, await serverNow(client.redis));
        await warnIfCut(client.redis, teams);
        for (const entry of entries) printJsonLine(entry);
      }),
    );
}

async function teamsToRead(client: RediaccClient, team: string | undefined): Promise<string[]> {
  if (team) return [(await client.teams.get(team)).name];
  return readableTeams(
    client.redis,
    (await client.teams.list()).map((t) => t.name),
  );
}

/** Now on the Redis server's clock, in ms: entry times are the server's, so `--since` is measured on it too. */
async function serverNow(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Every entry of `teams` since `sinceMs` before `now`, all writers merged, oldest first. */
async function readAll(
  redis: Redis,
  teams: readonly string[],
  sinceMs: number | undefined,
  now: number,
): Promise<AuditEntry[]> {
  const options = sinceMs === undefined ? {} : { sinceMs: now - sinceMs };
  const pages = await Promise.all(
    teams.map((team) =>
      readAudit(redis, team, options).catch(async (error: unknown) => {
        throw await asAccessDenied(error, redis, { action: 'read the audit log', team });
      }),
    ),
  );
  const skipped = pages.reduce((n, p) => n + p.skipped, 0);
  if (skipped > 0) printNote(`warning: ${skipped} stream entries are not audit entries and were skipped`);
  return pages.flatMap((p) => p.entries).sort(compareEntries);
}

/** Tells the reader when a writer's stream lost entries its cap would have kept (XDEL, DEL, or an XADD/XTRIM cut). */
async function warnIfCut(redis: Redis, teams: readonly string[]): Promise<void> {
  for (const team of teams) {
    for (const check of await auditIntegrity(redis, team)) {
      if (check.missing === 0 && !check.deleted) continue;
      const lost = check.missing > 0 ? `${check.missing} entries the cap would keep are gone` : 'entries were deleted';
      printNote(
        `warning: the audit stream of ${check.user} in team ${team} holds ${check.length} of ${check.added} entries ever appended: ${lost} (trimmed or deleted outside the cap)`,
      );
    }
  }
}

/** Prints what is appended from now on; `shown` entries (already printed) are not printed again. */
async function follow(
  redis: Redis,
  teams: readonly string[],
  shown: AuditEntry[],
  since: number,
  json: boolean,
): Promise<void> {
  const reader = redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true });
  reader.on('error', () => {});
  const cursors: AuditCursors = new Map();
  await addAuditCursors(reader, teams, cursors, `${since}-0`);
  for (const entry of shown) {
    const cursor = cursors.get(registryKeys.auditStream(entry.team, entry.user));
    if (cursor) cursor.lastId = entry.id;
  }
  let stopped = false;
  const stop = () => {
    stopped = true;
    reader.disconnect();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    while (!stopped) {
      const page = await followAudit(reader, cursors, FOLLOW_BLOCK_MS).catch((error: unknown) => {
        if (stopped) return { entries: [], skipped: 0 };
        throw error;
      });
      for (const entry of page.entries) printEntry(entry, json);
      // Writers that appeared meanwhile (a new bridge user, an admin's first change) are followed from `since`.
      if (!stopped) await addAuditCursors(reader, teams, cursors, `${since}-0`);
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    reader.disconnect();
  }
}

function printEntry(entry: AuditEntry, json: boolean): void {
  if (json) printJsonLine(entry);
  else {
    const r = row(entry);
    printLine([r.at, r.team, r.actor, r.action, r.target, r.outcome, r.detail].join('  '));
  }
}

function row(entry: AuditEntry): Record<string, string> {
  return {
    at: entry.at,
    team: entry.team,
    // The actor the writer named, and the Redis user whose stream holds it when that differs (RDC_ACTOR).
    actor: entry.actor === entry.user ? entry.actor : `${entry.actor} (as ${entry.user})`,
    action: entry.action,
    target: entry.target,
    outcome: entry.outcome,
    detail: entry.detail
      ? Object.entries(entry.detail)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')
      : '',
  };
}
