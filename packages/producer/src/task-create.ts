// Creating tasks: one (create) or all-or-nothing (createMany). Each spec is validated, its machine and secrets
// checked, and the task added to its team's queue for its priority's lane, with its audit entry sent alongside
// the add when the writer may (one round trip), after it otherwise. Each added task is recorded in its machine's
// index (queue's machine-index.ts), so a machine's tasks are found without reading the backlog.
import { randomUUID } from 'node:crypto';
import {
  type BatchTag,
  formatIssues,
  LANES,
  parseInput,
  RdcError,
  type TaskSpec,
  type TaskSpecInput,
  taskKey,
  taskSpecSchema,
} from '@rediacc/core';
import { asAccessDenied, findJob, indexByMachine, missingVaultEntries, type TeamQueues } from '@rediacc/queue';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AuditTrail } from './audit-trail.js';
import type { RegistryCache } from './machine-cache.js';
import {
  type CreatedTask,
  created,
  createRecord,
  groupByQueue,
  sameTask,
  type TaskEntry,
  taskEntry,
  twinConflict,
} from './task-factory.js';

/** What creating needs: the connection, the team queues, the registry (cached) and the audit trail. */
export interface CreateContext {
  redis: Redis;
  queues: TeamQueues;
  registry: RegistryCache;
  audit: AuditTrail;
}

/** Enqueues one task. Unknown team or machine: throws and enqueues nothing. */
export async function createTask(ctx: CreateContext, input: TaskSpecInput): Promise<CreatedTask> {
  const spec = parseInput(taskSpecSchema, input, 'task spec');
  try {
    return await createOne(ctx, spec);
  } catch (error) {
    await ctx.audit.refused(error, {
      team: spec.team,
      action: 'task.create',
      target: spec.taskId ?? spec.machine,
      detail: { machine: spec.machine, priority: spec.priority },
    });
    throw await asAccessDenied(error, ctx.redis, { action: 'create tasks', team: spec.team });
  }
}

async function createOne(ctx: CreateContext, spec: TaskSpec): Promise<CreatedTask> {
  const entry = await entryFor(ctx, spec);
  const queue = ctx.queues.forPriority(spec.team, spec.priority);
  if (spec.taskId) {
    // Look in every lane: the same id under another priority is another task (a conflict).
    const existing = await findJob(ctx.queues, spec.team, spec.taskId);
    const result = existing ? duplicate(existing.data, entry) : await addChecked(ctx, queue, entry);
    await ctx.audit.record([createRecord(result)]);
    return result;
  }
  const result = created(entry, true);
  if (!(await ctx.audit.writesAhead(spec.team))) {
    // This user may append to the log but perhaps not add (a viewer): the entry waits for the add's answer, so
    // a refused create is recorded once, as denied (by create()), never as created.
    const job = await queue.add(entry.name, entry.data, entry.opts);
    await indexByMachine(ctx.redis, queue, [job]);
    await ctx.audit.record([createRecord(result)]);
    return result;
  }
  // A new id: the add and its audit entry go out together, so a create waits for one round trip, not two.
  // Should the add fail once the entry is written, a second entry records that.
  const [added, audited] = await Promise.allSettled([
    queue.add(entry.name, entry.data, entry.opts),
    ctx.audit.record([createRecord(result)]),
  ]);
  if (added.status === 'rejected') {
    if (audited.status === 'fulfilled') {
      await ctx.audit.record([{ ...createRecord(result), outcome: 'failed' }]).catch(() => {});
    }
    throw added.reason;
  }
  if (audited.status === 'rejected') throw audited.reason;
  await indexByMachine(ctx.redis, queue, [added.value]);
  return result;
}

/** Adds a task with the caller's own id; a twin added meanwhile under another priority is a conflict. */
async function addChecked(ctx: CreateContext, queue: Queue, entry: TaskEntry): Promise<CreatedTask> {
  const job = await queue.add(entry.name, entry.data, entry.opts);
  if (await twinOf(ctx, [entry])) {
    await queue.remove(entry.opts.jobId);
    throw twinConflict(entry);
  }
  await indexByMachine(ctx.redis, queue, [job]);
  return created(entry, true);
}

/** A fan-out batch's tag for every task, and the task ids chosen ahead (its index is written before the adds). */
export interface BatchMembers {
  batch: BatchTag;
  taskIds: readonly string[];
}

/** Enqueues all specs or none: every spec is validated and every machine checked before anything is added. */
export async function createTasks(
  ctx: CreateContext,
  inputs: readonly TaskSpecInput[],
  members?: BatchMembers,
): Promise<CreatedTask[]> {
  if (!Array.isArray(inputs)) throw new RdcError('RDC_INVALID_INPUT', 'createMany takes an array of task specs');
  const specs = inputs.map((input, i) => {
    const result = taskSpecSchema.safeParse(input);
    if (!result.success) {
      throw new RdcError('RDC_INVALID_INPUT', `invalid task spec [${i}]: ${formatIssues(result.error.issues)}`);
    }
    return result.data;
  });
  try {
    const { results, audited } = await createAll(ctx, specs, members);
    if (!audited) await ctx.audit.record(results.map(createRecord));
    return results;
  } catch (error) {
    const teams = [...new Set(specs.map((spec) => spec.team))];
    for (const team of teams) {
      const asked = specs.filter((spec) => spec.team === team).map((spec) => spec.machine);
      await ctx.audit.refused(error, {
        team,
        action: 'task.create',
        target: `createMany of ${specs.length}`,
        detail: { machines: [...new Set(asked)].join(', ') },
      });
    }
    throw error;
  }
}

/** Adds every spec or none; `audited`: the creates' audit entries went out with the adds. */
async function createAll(
  ctx: CreateContext,
  specs: TaskSpec[],
  members: BatchMembers | undefined,
): Promise<{ results: CreatedTask[]; audited: boolean }> {
  const entries = await Promise.all(specs.map((spec, i) => entryFor(ctx, spec, members?.taskIds[i])));
  if (members) for (const entry of entries) entry.data.batch = members.batch;
  const ids = new Set<string>();
  for (const entry of entries) {
    if (ids.has(entry.opts.jobId)) {
      throw new RdcError('RDC_TASK_ID_CONFLICT', `taskId ${entry.opts.jobId} appears twice in one createMany`);
    }
    ids.add(entry.opts.jobId);
  }
  const results = new Map<string, CreatedTask>();
  const withIds = entries.filter((_, i) => specs[i]?.taskId !== undefined);
  const explicitIds = new Set(withIds.map((e) => e.opts.jobId));
  await settleExisting(ctx, withIds, results);
  const fresh = entries.filter((e) => !results.has(e.opts.jobId));
  const added: { queue: Queue; ids: string[] }[] = [];
  // Only new ids (none of the caller's own): the audit entries go out alongside the adds instead of after
  // them, one round trip's wait less; if the adds fail, a second set of entries records that.
  const ahead = (await Promise.all([...new Set(specs.map((s) => s.team))].map((t) => ctx.audit.writesAhead(t)))).every(
    Boolean,
  );
  const records = explicitIds.size === 0 && ahead ? fresh.map((e) => createRecord(created(e, true))) : undefined;
  const early = records && ctx.audit.record(records);
  early?.catch(() => {}); // awaited below
  try {
    for (const group of groupByQueue(fresh)) {
      const queue = ctx.queues.forPriority(group.team, group.priority);
      const jobs = await queue.addBulk(group.entries);
      added.push({ queue, ids: group.entries.map((e) => e.opts.jobId) });
      const missing = group.entries.filter((e, i) => jobs[i]?.id !== e.opts.jobId);
      if (missing.length > 0) throw new RdcError('RDC_INTERNAL', `addBulk did not store ${missing.length} tasks`);
      await indexByMachine(ctx.redis, queue, jobs);
    }
    const twin = await twinOf(
      ctx,
      fresh.filter((e) => explicitIds.has(e.opts.jobId)),
    );
    if (twin) throw twinConflict(twin);
  } catch (error) {
    // addBulk is a pipeline, not a transaction: undo what went in so createMany stays all-or-nothing.
    await Promise.allSettled(added.flatMap(({ queue, ids }) => ids.map((id) => queue.remove(id))));
    if (
      records &&
      (await early?.then(
        () => true,
        () => false,
      ))
    ) {
      await ctx.audit.record(records.map((r) => ({ ...r, outcome: 'failed' as const }))).catch(() => {});
    }
    throw error;
  }
  await early;
  for (const entry of fresh) results.set(entry.opts.jobId, created(entry, true));
  return { results: entries.map((e) => results.get(e.opts.jobId)!), audited: early !== undefined };
}

async function entryFor(ctx: CreateContext, spec: TaskSpec, chosenId?: string): Promise<TaskEntry> {
  await ctx.registry.machine(spec.team, spec.machine);
  const team = await ctx.registry.team(spec.team);
  if (spec.secrets && spec.secrets.length > 0) {
    // Checked by name only: the producer cannot (and need not) open a value.
    const missing = await missingVaultEntries(
      ctx.redis,
      spec.team,
      spec.secrets.map((s) => s.name),
    );
    if (missing.length > 0) {
      throw new RdcError(
        'RDC_VAULT_UNKNOWN',
        `team "${spec.team}" has no vault secret ${missing.map((n) => JSON.stringify(n)).join(', ')}`,
      );
    }
  }
  return taskEntry(spec, spec.taskId ?? chosenId ?? randomUUID(), team);
}

function duplicate(stored: unknown, entry: TaskEntry): CreatedTask {
  if (!sameTask(stored, entry)) {
    throw new RdcError(
      'RDC_TASK_ID_CONFLICT',
      `taskId ${entry.opts.jobId} already names a different task (other team, machine, command or policy)`,
    );
  }
  return created(entry, false);
}

async function settleExisting(
  ctx: CreateContext,
  entries: TaskEntry[],
  results: Map<string, CreatedTask>,
): Promise<void> {
  const existing = await Promise.all(entries.map((e) => findJob(ctx.queues, e.data.team, e.opts.jobId)));
  entries.forEach((entry, i) => {
    const job = existing[i];
    if (job) results.set(entry.opts.jobId, duplicate(job.data, entry));
  });
}

/**
 * After adding tasks with caller-chosen ids: the entry whose id another lane of its team also holds, if
 * any. Only a concurrent create of the same id at a priority of another lane does that; the same id in
 * the same lane is one job (BullMQ ignores the second add).
 */
async function twinOf(ctx: CreateContext, entries: TaskEntry[]): Promise<TaskEntry | undefined> {
  const held = await Promise.all(
    entries.map(async (e) => {
      const replies = await Promise.all(
        LANES.map((lane) => ctx.redis.exists(taskKey(e.data.team, lane, e.opts.jobId))),
      );
      return replies.reduce((a, b) => a + b, 0);
    }),
  );
  return entries.find((_, i) => (held[i] ?? 0) > 1);
}
