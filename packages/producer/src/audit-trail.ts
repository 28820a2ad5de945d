// The SDK's side of the audit log: every create, cancel and registry change appends an entry naming the actor
// (RDC_ACTOR or the client's `actor` option, else the Redis ACL user). Entries of one call go in one pipeline.
import { type AuditInput, FLEET_ADMIN_USER, parseAclUserName } from '@rediacc/core';
import {
  asAccessDenied,
  auditAppendCommand,
  auditWriter,
  auditWritersCommand,
  isAccessRefusal,
  type RedisCommand,
  resolveActor,
  sendAudit,
  WriterListing,
} from '@rediacc/queue';
import type { Redis } from 'ioredis';

export type AuditRecord = Omit<AuditInput, 'actor'>;

export interface AuditAuthor {
  actor: string;
  writer: string;
}

export class AuditTrail {
  private actor: Promise<string> | undefined;
  private known: Promise<AuditAuthor> | undefined;
  /** The teams whose writers set got this writer lately: their appends leave the SADD out. */
  private readonly listing = new WriterListing();

  constructor(
    private readonly redis: Redis,
    private readonly configured: string | undefined,
  ) {}

  /** Who the entries name; resolved once per client (once Redis answered). */
  actorName(): Promise<string> {
    this.actor ??= resolveActor(this.redis, this.configured).then((actor) => {
      if (actor === 'unknown') this.actor = undefined; // Redis did not say (yet): ask again next time
      return actor;
    });
    return this.actor;
  }

  /** Who appends: the actor the entries name and the Redis user whose stream they go to (both resolved once). */
  author(): Promise<AuditAuthor> {
    if (this.known) return this.known;
    return Promise.all([this.actorName(), auditWriter(this.redis)]).then(([actor, writer]) => {
      const author = { actor, writer };
      // Kept once Redis named both (each is asked again while "unknown"): a create then waits for nothing here.
      if (actor !== 'unknown' && writer !== 'unknown') this.known = Promise.resolve(author);
      return author;
    });
  }

  /** Appends the records (one round trip); a refused append is RDC_ACCESS_DENIED, not a silent gap. */
  async record(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    const { actor, writer } = await this.author();
    const replies = await sendAudit(
      this.redis,
      writer,
      records.map((record) => ({ ...record, actor })),
    );
    const failed = await this.failureOf(replies, records[0]?.team);
    if (failed !== undefined) throw failed;
  }

  /**
   * The appends of `records` as commands, for the caller to send with other writes of their team in one round trip
   * (check the appends' replies with failureOf). The records must be built of validated values only
   * (task-factory's createRecord of a parsed spec): they are not parsed again.
   */
  commandsFor(author: AuditAuthor, records: readonly AuditRecord[]): RedisCommand[] {
    const commands = records.map((record) => auditAppendCommand(author.writer, author.actor, record));
    // The writers set's SADD only now and then: a create one at a time then sends its index and audit entries
    // without it (one command fewer each).
    const teams = records.length === 1 ? [records[0]!.team] : new Set(records.map((r) => r.team));
    for (const team of teams) if (this.listing.due(team)) commands.push(auditWritersCommand(team, author.writer));
    return commands;
  }

  /**
   * The error of a failed append among `replies`, if any (a refusal as RDC_ACCESS_DENIED). None failed: the
   * team's writers set holds this writer (its SADD, if sent, went through with them).
   */
  async failureOf(replies: readonly [Error | null, unknown][], team: string | undefined): Promise<unknown> {
    const failed = replies.find(([error]) => error)?.[0];
    if (!failed) {
      if (team !== undefined) this.listing.answered(team);
      return undefined;
    }
    return asAccessDenied(failed, this.redis, { action: 'append to the audit log', team });
  }

  /**
   * Whether an operation's entry may go out alongside the operation (one round trip instead of two): only when
   * the author's writer may create tasks in `team` (no ACL, the fleet admin, the team's admin or operator). A viewer may
   * append to its audit stream but not add tasks: an entry written ahead would record a refused create as done.
   */
  writesAheadAs({ writer }: AuditAuthor, team: string): boolean {
    if (writer === 'default' || writer === FLEET_ADMIN_USER) return true;
    const parsed = parseAclUserName(writer);
    return parsed?.team === team && (parsed.role === 'admin' || parsed.role === 'operator');
  }

  /**
   * Records an operation Redis refused, where the user may still append (its own team's log). Never throws:
   * the refusal itself is what the caller reports.
   */
  async refused(error: unknown, record: Omit<AuditRecord, 'outcome'>): Promise<void> {
    if (!isAccessRefusal(error)) return;
    await this.record([{ ...record, outcome: 'denied' }]).catch(() => {});
  }
}
