// Audit appends off the hot path: a bridge records every lifecycle transition, and a blocking XADD per
// transition would cost a round trip each. The writer queues entries and sends them in one pipeline (per team) on
// the connection the bridge already uses: with the next commands that connection sends anyway (a coalescing
// connection, write-coalescing.ts: no socket write of its own), at most every `minGapMs`, and at the latest after
// `flushMs`; close() sends what is left. A team's writers set gets the writer's SADD only now and then
// (WriterListing), not with every flush: that was two commands a task on a bridge.
import { type AuditInput, auditInputSchema, formatIssues } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { auditWriter, sendAudit, WRITER_LISTED_MS, WriterListing } from './audit-log.js';
import { rideNextWrite } from './write-coalescing.js';

export class AuditWriter {
  private pending: AuditInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();
  /** The Redis user the entries are appended as, once known (then a flush sends at once, in the caller's turn). */
  private writer: string | undefined;
  /** Waiting to ride on the connection's next write. */
  private riding = false;
  private lastFlush = 0;
  private readonly listing: WriterListing;

  constructor(
    private readonly redis: Redis,
    private readonly onError: (error: Error, entries: readonly AuditInput[]) => void,
    private readonly flushMs = 10,
    private readonly minGapMs = 2,
    listedMs = WRITER_LISTED_MS,
  ) {
    this.listing = new WriterListing(listedMs);
  }

  append(entry: AuditInput): void {
    const valid = auditInputSchema.safeParse(entry);
    if (!valid.success) {
      this.onError(new Error(`invalid audit entry: ${formatIssues(valid.error.issues)}`), [entry]);
      return;
    }
    this.queue(valid.data);
  }

  /**
   * For entries built only of values validated already (a task's transitions: its parsed job data and id, the
   * bridge's checked name and actor, typed action and outcome, numbers and flags): queued without parsing again.
   */
  appendParsed(entry: AuditInput): void {
    this.queue(entry);
  }

  private queue(entry: AuditInput): void {
    this.pending.push(entry);
    this.timer ??= setTimeout(() => this.flush(), this.flushMs);
    this.ride();
  }

  /** Flushes with the connection's next write, unless the last flush was under `minGapMs` ago (then the one after). */
  private ride(): void {
    if (this.riding || this.writer === undefined) return;
    this.riding = rideNextWrite(this.redis, () => {
      this.riding = false;
      if (this.pending.length === 0) return;
      if (performance.now() - this.lastFlush >= this.minGapMs) this.flush();
      else this.ride();
    });
  }

  /** Sends the queued entries now; resolves once Redis has them (or the error was reported). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const entries = this.pending;
    this.pending = [];
    if (entries.length === 0) return Promise.all(this.inFlight).then(() => {});
    this.lastFlush = performance.now();
    const sent = this.send(entries).finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
    return Promise.all(this.inFlight).then(() => {});
  }

  private async send(entries: AuditInput[]): Promise<void> {
    try {
      // Known: the commands leave now (riding a write must not wait a turn for the name).
      let writer = this.writer;
      if (writer === undefined) {
        writer = await auditWriter(this.redis);
        if (writer !== 'unknown') this.writer = writer;
      }
      // Parsed once, by append: not again.
      const listWriter = (team: string) => this.listing.due(team);
      const replies = await sendAudit(this.redis, writer, entries, { parsed: true, listWriter });
      const failed = replies.find(([error]) => error)?.[0];
      if (failed) throw failed;
      for (const team of new Set(entries.map((entry) => entry.team))) this.listing.answered(team);
    } catch (error) {
      this.onError(error instanceof Error ? error : new Error(String(error)), entries);
    }
  }

  /** Sends what is queued. Idempotent; appends after close are sent too (a late transition still counts). */
  close(): Promise<void> {
    return this.flush();
  }
}
