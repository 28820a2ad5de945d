// rediacc audit [--team T] [--since 1h] [--limit N] [--follow] [--json] | audit export [--team T] [--since 30d]
// Reads the teams' audit streams (every team the caller may read unless --team says), merged oldest first.
import { type AuditEntry, durationSchema, teamNameSchema } from '@rediacc/core';
import type { AuditRead, RediaccClient } from '@rediacc/producer';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { integer, schemaFlag } from '../options.js';
import { type OutputOptions, printJsonLine, printLine, printNote } from '../output.js';
import { done, json, jsonLine, table } from '../result.js';

interface AuditOptions extends OutputOptions {
  team?: string;
  since?: number;
  limit: number;
  follow?: boolean;
}

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('show the audit log: who did what, to which task, machine or user, and how it ended')
    .option('--team <team>', 'only this team (default: every team you may read)', schemaFlag(teamNameSchema))
    .option('--since <duration>', 'only entries this recent, for example 15m, 1h, 30d', schemaFlag(durationSchema))
    .option('--limit <n>', 'at most the newest N entries (before --follow)', integer(1, 1_000_000), 1_000)
    .option('--follow', 'keep printing new entries as they are appended, until Ctrl-C')
    .option('--json', 'machine-readable output (an array of entries; with --follow one entry per line)')
    .action((options: AuditOptions) => runCommand(auditLog, options));
  audit
    .command('export')
    .description('write the audit log as JSON lines (one entry per line) for compliance archives')
    .option('--team <team>', 'only this team (default: every team you may read)', schemaFlag(teamNameSchema))
    .option('--since <duration>', 'only entries this recent, for example 30d', schemaFlag(durationSchema))
    .action((options: Pick<AuditOptions, 'team' | 'since'>) => runCommand(auditExport, options));
}

/** The log as a table or JSON; with --follow, what is there and then what is appended, until Ctrl-C or SIGTERM. */
export const auditLog: Handler<AuditOptions> = async (options, client) => {
  if (options.follow) {
    // Listen for the stop before anything is printed: a reader that saw the first entries may stop us at once.
    const stopped = new AbortController();
    const stop = () => stopped.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const read = await readLog(client, options);
      for (const entry of read.entries) printEntry(entry, options.json === true);
      for await (const entry of client.audit.follow(read, { signal: stopped.signal })) {
        printEntry(entry, options.json === true);
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return done();
  }
  const read = await readLog(client, options);
  return done(
    options.json
      ? json(read.entries)
      : table(read.entries.map(row), ['at', 'team', 'actor', 'action', 'target', 'outcome', 'detail']),
  );
};

/** The log as JSON lines, oldest first. */
export const auditExport: Handler<Pick<AuditOptions, 'team' | 'since'>> = async (options, client) => {
  const read = await readLog(client, options);
  return done(...read.entries.map(jsonLine));
};

/** Reads the log and warns about what the reader should know: skipped stream entries, and streams cut. */
async function readLog(
  client: RediaccClient,
  options: { team?: string | undefined; since?: number | undefined; limit?: number },
): Promise<AuditRead> {
  const read = await client.audit.read({
    ...(options.team !== undefined && { team: options.team }),
    ...(options.since !== undefined && { sinceMs: options.since }),
    ...(options.limit !== undefined && { limit: options.limit }),
  });
  if (read.skipped > 0) printNote(`warning: ${read.skipped} stream entries are not audit entries and were skipped`);
  for (const cut of await client.audit.cuts(read.teams)) {
    const lost = cut.missing > 0 ? `${cut.missing} entries the cap would keep are gone` : 'entries were deleted';
    printNote(
      `warning: the audit stream of ${cut.user} in team ${cut.team} holds ${cut.length} of ${cut.added} entries ever appended: ${lost} (trimmed or deleted outside the cap)`,
    );
  }
  return read;
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
