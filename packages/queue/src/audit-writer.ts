// Audit appends off the hot path: a bridge records every lifecycle transition, and a blocking XADD per
// transition would cost a round trip each. The writer queues entries and sends them in one pipeline (per team) every
// few milliseconds on the connection the bridge already uses; close() sends what is left.
import { type AuditInput, auditInputSchema, formatIssues } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { auditWriter, sendAudit } from './audit-log.js';

export class AuditWriter {
  private pending: AuditInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly redis: Redis,
    private readonly onError: (error: Error, entries: readonly AuditInput[]) => void,
    private readonly flushMs = 10,
  ) {}

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
  }

  /** Sends the queued entries now; resolves once Redis has them (or the error was reported). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const entries = this.pending;
    this.pending = [];
    if (entries.length === 0) return Promise.all(this.inFlight).then(() => {});
    const sent = this.send(entries).finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
    return Promise.all(this.inFlight).then(() => {});
  }

  private async send(entries: AuditInput[]): Promise<void> {
    try {
      const writer = await auditWriter(this.redis);
      // Parsed once, by append: not again.
      const replies = await sendAudit(this.redis, writer, entries, { parsed: true });
      const failed = replies.find(([error]) => error)?.[0];
      if (failed) this.onError(failed, entries);
    } catch (error) {
      this.onError(error instanceof Error ? error : new Error(String(error)), entries);
    }
  }

  /** Sends what is queued. Idempotent; appends after close are sent too (a late transition still counts). */
  close(): Promise<void> {
    return this.flush();
  }
}
