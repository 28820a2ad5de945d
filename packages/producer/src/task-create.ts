// Creating tasks: one (create) or all-or-nothing (createMany). Each spec is validated, its machine and secrets
// checked, and the task added to its team's queue for its priority's lane (task-add.ts), with its machine-index
// entry (queue's machine-index.ts, so a machine's tasks are found without reading the backlog) and its audit entry
// sent alongside the add when the writer may create tasks (one round trip), after it otherwise.
import { randomUUID } from 'node:crypto';
import {
  type BatchTag,
  formatIssues,
  LANES,
  parseInput,
  RdcError,
  type TaskSpec,
  type TaskSpecInput,
  type TeamRecord,
  taskKey,
  taskSpecSchema,
} from '@rediacc/core';
import { asAccessDenied, findJob, jobOrigin, missingVaultEntries, type TeamQueues } from '@rediacc/queue';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AuditTrail } from './audit-trail.js';
import type { RegistryCache } from './machine-cache.js';
import { type AddOptions, addTasks, type QueueGroup } from './task-add.js';
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
  const [entry, author] = await Promise.all([entryFor(ctx, spec), ctx.audit.author()]);
  const group: QueueGroup = {
    team: spec.team,
    queue: ctx.queues.forPriority(spec.team, spec.priority),
    entries: [entry],
  };
  const together = ctx.audit.writesAheadAs(author, spec.team);
  if (spec.taskId) {
    // Look in every lane: the same id under another priority is another task (a conflict).
    const existing = await findJob(ctx.queues, spec.team, spec.taskId);
    const result = existing ? duplicate(existing, entry) : await addChecked(ctx, group, { together, author });
    await ctx.audit.record([createRecord(result)]);
    return result;
  }
  // A new id: the add, its index entry and its audit entry go out together, so a create waits for one round trip.
  // A user that may append to the log but perhaps not add (a viewer) writes the entry after the add's answer, so a
  // refused create is recorded once, as denied (by createTask), never as created.
  const result = created(entry, true);
  await addTasks(ctx, [group], { together, author, records: [createRecord(result)] });
  return result;
}

/** Adds a task with the caller's own id; a twin added meanwhile under another priority is a conflict. */
async function addChecked(ctx: CreateContext, group: QueueGroup, options: AddOptions): Promise<CreatedTask> {
  const added = await addTasks(ctx, [group], options);
  const twin = await twinOf(ctx, group.entries);
  if (twin) {
    await added.undo();
    throw twinConflict(twin);
  }
  return created(group.entries[0]!, true);
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
  const entries = await entriesFor(ctx, specs, members?.taskIds);
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
  const author = await ctx.audit.author();
  const together = [...new Set(specs.map((s) => s.team))].every((team) => ctx.audit.writesAheadAs(author, team));
  // Only new ids (none of the caller's own, which may turn out duplicates): the audit entries go with the index
  // entries, beside the adds or (not `together`) once they are in.
  const records = explicitIds.size === 0 ? fresh.map((e) => createRecord(created(e, true))) : undefined;
  const groups = groupByQueue(fresh).map((g) => ({
    team: g.team,
    queue: ctx.queues.forPriority(g.team, g.priority),
    entries: g.entries,
  }));
  const added = await addTasks(ctx, groups, { together, author, records });
  const twin = await twinOf(
    ctx,
    fresh.filter((e) => explicitIds.has(e.opts.jobId)),
  );
  if (twin) {
    await added.undo();
    throw twinConflict(twin);
  }
  for (const entry of fresh) results.set(entry.opts.jobId, created(entry, true));
  return { results: entries.map((e) => results.get(e.opts.jobId)!), audited: records !== undefined };
}

/**
 * The specs' job entries, each distinct machine, team and team vault looked up once (even a cached lookup costs a
 * few microtasks, which a createMany of thousands would pay per spec). The first spec, in order, that fails its
 * checks (checkedEntry) fails the call.
 */
async function entriesFor(
  ctx: CreateContext,
  specs: readonly TaskSpec[],
  chosenIds?: readonly string[],
): Promise<TaskEntry[]> {
  const machines = new Map<string, Promise<unknown>>();
  const teams = new Map<string, Promise<TeamRecord>>();
  const secretNames = new Map<string, Set<string>>();
  for (const spec of specs) {
    const key = JSON.stringify([spec.team, spec.machine]);
    if (!machines.has(key)) machines.set(key, ctx.registry.machine(spec.team, spec.machine));
    if (!teams.has(spec.team)) teams.set(spec.team, ctx.registry.team(spec.team));
    if (spec.secrets && spec.secrets.length > 0) {
      const names = secretNames.get(spec.team) ?? new Set<string>();
      for (const secret of spec.secrets) names.add(secret.name);
      secretNames.set(spec.team, names);
    }
  }
  // Checked by name only: the producer cannot (and need not) open a value.
  const missing = new Map<string, Promise<string[]>>();
  for (const [team, names] of secretNames) missing.set(team, missingVaultEntries(ctx.redis, team, [...names]));
  const [machineResults, teamResults, missingResults] = await Promise.all([
    settleAll(machines),
    settleAll(teams),
    settleAll(missing),
  ]);
  return specs.map((spec, i) =>
    checkedEntry(spec, spec.taskId ?? chosenIds?.[i] ?? randomUUID(), {
      machine: machineResults.get(JSON.stringify([spec.team, spec.machine]))!,
      team: teamResults.get(spec.team)!,
      missing: missingResults.get(spec.team),
    }),
  );
}

/** One spec's job entry, its lookups made for it alone: no per-call maps, which a create one at a time would pay. */
async function entryFor(ctx: CreateContext, spec: TaskSpec): Promise<TaskEntry> {
  const names = spec.secrets?.map((s) => s.name) ?? [];
  const [machine, team, missing] = await Promise.allSettled([
    ctx.registry.machine(spec.team, spec.machine),
    ctx.registry.team(spec.team),
    names.length > 0 ? missingVaultEntries(ctx.redis, spec.team, names) : [],
  ]);
  return checkedEntry(spec, spec.taskId ?? randomUUID(), { machine, team, missing });
}

/**
 * A spec's settled lookups: its machine, its team and (when its team's vault was asked, for it or for another spec
 * of a createMany) the secret names that vault lacks.
 */
interface SpecLookups {
  machine: PromiseSettledResult<unknown>;
  team: PromiseSettledResult<TeamRecord>;
  missing: PromiseSettledResult<readonly string[]> | undefined;
}

/**
 * A spec's job entry once its lookups settled, checked in the one order create and createMany share: machine, team,
 * secrets. The first that fails is the error.
 */
function checkedEntry(spec: TaskSpec, taskId: string, { machine, team, missing }: SpecLookups): TaskEntry {
  if (machine.status === 'rejected') throw machine.reason;
  if (team.status === 'rejected') throw team.reason;
  if (missing?.status === 'rejected') throw missing.reason;
  if (missing && missing.value.length > 0) refuseMissingSecrets(spec, missing.value);
  return taskEntry(spec, taskId, team.value);
}

/** RDC_VAULT_UNKNOWN naming the secrets of `spec` that `missing` holds, if any. */
function refuseMissingSecrets(spec: TaskSpec, missing: readonly string[]): void {
  const absent = (spec.secrets ?? []).map((s) => s.name).filter((name) => missing.includes(name));
  if (absent.length > 0) {
    throw new RdcError(
      'RDC_VAULT_UNKNOWN',
      `team "${spec.team}" has no vault secret ${[...new Set(absent)].map((n) => JSON.stringify(n)).join(', ')}`,
    );
  }
}

/** Every promise of a map settled, by the same keys. */
async function settleAll<T>(promises: Map<string, Promise<T>>): Promise<Map<string, PromiseSettledResult<T>>> {
  const keys = [...promises.keys()];
  const settled = await Promise.allSettled(promises.values());
  return new Map(settled.map((result, i) => [keys[i]!, result]));
}

function duplicate(stored: Job, entry: TaskEntry): CreatedTask {
  if (!sameTask(stored.data, jobOrigin(stored), entry)) {
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
    if (job) results.set(entry.opts.jobId, duplicate(job, entry));
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
