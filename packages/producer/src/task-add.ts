// Adding tasks to their queues with the writes that go with them, in one round trip: the BullMQ adds of each
// queue (team and lane) and, in the same turn, per team each task's machine-index entry and, when they may be
// written ahead, the creates' audit entries. The job's creation time is chosen here (JobsOptions.timestamp), so
// the index entry need not wait for the add's answer. Should an add or an index entry fail, every add of the call
// is undone with its index entries: the caller stays all-or-nothing.
import { RdcError, taskJob } from '@rediacc/core';
import {
  addCommands,
  isAccessRefusal,
  machineIndexCommands,
  machineUnindexCommands,
  type RedisCommand,
} from '@rediacc/queue';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AuditAuthor, AuditRecord, AuditTrail } from './audit-trail.js';
import type { TaskEntry } from './task-factory.js';

/** What adding needs: the connection the queues share, and the audit trail. */
export interface AddContext {
  redis: Redis;
  audit: AuditTrail;
}

/** Tasks bound for one queue (one team's lane). */
export interface QueueGroup {
  team: string;
  queue: Queue;
  entries: TaskEntry[];
}

/** How the writes that go with the adds are sent, and the audit entries among them. */
export interface AddOptions {
  /**
   * Alongside the adds (one round trip), for a writer that may create tasks in every team of the call; else after
   * them (two), so a user Redis refuses the add (a viewer) is not also refused the index and audit writes.
   */
  together: boolean;
  author: AuditAuthor;
  /** The creates' audit entries, written with the index entries. */
  records?: readonly AuditRecord[] | undefined;
}

/** What was added; `undo` removes the tasks and their index entries again. */
export interface AddedTasks {
  undo(): Promise<void>;
}

/**
 * Adds every group's tasks and indexes them, with the audit entries of `options`. Throws the add's (or index's)
 * error once the adds are undone, and the audit's when only the appends failed (the tasks stay, as before).
 */
export async function addTasks(
  ctx: AddContext,
  groups: readonly QueueGroup[],
  options: AddOptions,
): Promise<AddedTasks> {
  const now = Date.now();
  for (const group of groups) for (const entry of group.entries) entry.opts.timestamp ??= now;
  const count = groups.reduce((sum, group) => sum + group.entries.length, 0);
  const release = options.together && count < PIPELINE_FROM ? holdWrites(ctx.redis) : () => {};
  const adds = Promise.allSettled(groups.flatMap((group) => chunksOf(group).map((chunk) => addGroup(chunk))));
  // On the next tick: the adds above have reached the connection by then (BullMQ sends them after awaiting only
  // settled promises), so Redis stores each job before its index entry and a reader never meets an entry whose job
  // is merely late (it would drop it). Nothing waits for an answer in between: one round trip for all.
  const alongside = options.together
    ? new Promise<Alongside>((resolve) =>
        process.nextTick(() => {
          try {
            resolve(sendAlongside(ctx, groups, options));
          } finally {
            release();
          }
        }),
      )
    : undefined;
  const added = await adds;
  const undo = () => undoAdds(ctx, groups);
  const failed = added.find((result) => result.status === 'rejected');
  if (failed) {
    // Refused outright (a viewer): nothing went in, and trying to remove it would only be refused again.
    const refused = added.every((r) => r.status === 'rejected' && isAccessRefusal(r.reason));
    const along = await alongside;
    if (!refused) await undo();
    if (options.records && along && along.audit === undefined) {
      // The entries said "created": say it failed. The add's error is what the caller reports.
      await ctx.audit.record(options.records.map((r) => ({ ...r, outcome: 'failed' as const }))).catch(() => {});
    }
    throw failed.reason;
  }
  const along = await (alongside ?? sendAlongside(ctx, groups, options));
  if (along.index !== undefined) {
    await undo();
    throw along.index;
  }
  if (along.audit !== undefined) throw along.audit;
  return { undo };
}

/**
 * Tasks per addBulk: each goes out as soon as it is encoded (a socket write is attempted at once), so Redis works
 * on the first while the next are encoded, instead of waiting for all of a lane's tasks.
 */
const CHUNK = 250;

function chunksOf(group: QueueGroup): QueueGroup[] {
  if (group.entries.length <= CHUNK) return [group];
  const chunks: QueueGroup[] = [];
  for (let i = 0; i < group.entries.length; i += CHUNK) {
    chunks.push({ ...group, entries: group.entries.slice(i, i + CHUNK) });
  }
  return chunks;
}

async function addGroup(group: QueueGroup): Promise<void> {
  const { queue, entries } = group;
  // Stored in its version-2 form (core's taskJob, as a schedule's runs are): without what the job itself says and
  // the fields that hold their default.
  const added = entries.map((e) => taskJob(e.data, e.opts));
  const [only] = added;
  // One task: BullMQ's add (one script call), not a pipeline of one.
  const jobs: Job[] =
    added.length === 1 && only ? [await queue.add(only.name, only.data, only.opts)] : await queue.addBulk(added);
  const missing = entries.filter((e, i) => jobs[i]?.id !== e.opts.jobId);
  if (missing.length > 0)
    throw new RdcError('RDC_INTERNAL', `BullMQ did not store ${missing.length} of ${entries.length} tasks`);
}

/** Failures of the writes sent alongside the adds: the index's and the audit's (already RDC_ACCESS_DENIED). */
interface Alongside {
  index?: unknown;
  audit?: unknown;
}

/** Sends the index and audit writes, per team, without waiting between them (nothing is awaited before the sends). */
async function sendAlongside(ctx: AddContext, groups: readonly QueueGroup[], options: AddOptions): Promise<Alongside> {
  const out: Alongside = {};
  const sends = byTeam(groups).map(async ([team, teamGroups]) => {
    const commands = teamGroups.flatMap(({ queue, entries }) =>
      machineIndexCommands(
        queue,
        entries.map((e) => ({ machine: e.data.machine, taskId: e.opts.jobId, createdAt: e.opts.timestamp ?? 0 })),
      ),
    );
    const indexed = commands.length;
    commands.push(...ctx.audit.commandsFor(options.author, options.records?.filter((r) => r.team === team) ?? []));
    const replies = await sendCommands(ctx.redis, commands);
    const indexFailed = replies.slice(0, indexed).find(([error]) => error)?.[0];
    if (indexFailed) out.index ??= indexFailed;
    const auditFailed = await ctx.audit.failureOf(replies.slice(indexed), team);
    if (auditFailed !== undefined) out.audit ??= auditFailed;
  });
  // Never rejects (the adds' failures are awaited first): a broken connection counts as the index's failure.
  const failures = await Promise.all(
    sends.map((send) =>
      send.then(
        () => undefined,
        (error: unknown) => error,
      ),
    ),
  );
  out.index ??= failures.find((error) => error !== undefined);
  return out;
}

/** Past this many commands a pipeline is cheaper than separate commands. */
const PIPELINE_FROM = 16;

/**
 * Sends commands of one team without waiting between them; their replies in order. A few go as separate commands:
 * a pipeline on a connection BullMQ uses costs more to set up than they do (ioredis copies each of the connection's
 * scripts onto it). Many go as one pipeline (a team's keys share its hash tag: one Cluster shard).
 */
async function sendCommands(redis: Redis, commands: readonly RedisCommand[]): Promise<[Error | null, unknown][]> {
  if (commands.length >= PIPELINE_FROM) return (await addCommands(redis.pipeline(), commands).exec()) ?? [];
  return Promise.all(
    commands.map(([name, ...args]) =>
      redis.call(name, ...args).then(
        (reply): [Error | null, unknown] => [null, reply],
        (error: Error): [Error | null, unknown] => [error, null],
      ),
    ),
  );
}

/**
 * Holds the connection's writes until the returned release (Node's cork), so the adds and the writes beside them
 * leave in one system call, not one each. Only for a few tasks (many are better sent as they are encoded), not on a
 * Cluster (one connection per shard) or a connection not ready.
 */
function holdWrites(redis: Redis): () => void {
  const stream = redis.status === 'ready' && !redis.isCluster ? redis.stream : undefined;
  if (!stream || typeof stream.cork !== 'function') return () => {};
  stream.cork();
  return () => stream.uncork();
}

/** Removes the groups' tasks (those that went in; the others are no-ops) and their index entries. */
async function undoAdds(ctx: AddContext, groups: readonly QueueGroup[]): Promise<void> {
  await Promise.allSettled([
    ...groups.flatMap(({ queue, entries }) => entries.map((e) => queue.remove(e.opts.jobId))),
    ...byTeam(groups).map(([, teamGroups]) =>
      sendCommands(
        ctx.redis,
        teamGroups.flatMap(({ queue, entries }) =>
          machineUnindexCommands(
            queue,
            entries.map((e) => ({ machine: e.data.machine, taskId: e.opts.jobId })),
          ),
        ),
      ),
    ),
  ]);
}

function byTeam(groups: readonly QueueGroup[]): [string, QueueGroup[]][] {
  const teams = new Map<string, QueueGroup[]>();
  for (const group of groups) teams.set(group.team, [...(teams.get(group.team) ?? []), group]);
  return [...teams];
}
