// One run of a fan-out schedule (`schedule add --select role=web`): a batch over the machines matching at run time,
// one task per machine, with scheduleName and the batch tag on each, the batch id recorded as the schedule's last
// run. With overlap "skip", the run is skipped while any task of the previous batch has not finished. The batch id
// and every task id derive from the trigger's job id (and the machine), so a bridge that dies between adding the
// tasks and finishing the trigger adds nothing twice: the next holder writes the same index and BullMQ ignores the
// adds of ids it has.
import { isTerminal, jobOptionsFor, laneOf, registryKeys, type ScheduleRecord, taskJob } from '@rediacc/core';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { batchInfo, batchMachines } from './batch-plan.js';
import { readBatchIndex, writeBatchIndex } from './batches.js';
import { indexByMachine } from './machine-index.js';
import type { TeamQueues } from './queues.js';
import { runTaskId } from './schedule-run-id.js';
import { readTeamTask } from './team-tasks.js';

export type FanOutRunOutcome =
  | { outcome: 'queued'; batchId: string; taskIds: string[] }
  | { outcome: 'skipped'; batchId: string; runningBatchId: string };

/** Runs the fan-out schedule `record` once for the trigger `triggerId`. */
export async function runFanOut(
  redis: Redis,
  queues: TeamQueues,
  record: ScheduleRecord & { fanOut: NonNullable<ScheduleRecord['fanOut']> },
  triggerId: string,
): Promise<FanOutRunOutcome> {
  const { team, name, fanOut } = record;
  const batchId = runTaskId(team, triggerId);
  const last = await redis.hget(registryKeys.scheduleRuns(team), name);
  if (record.overlap === 'skip' && last !== null && last !== batchId && (await batchGoing(redis, queues, team, last))) {
    return { outcome: 'skipped', batchId, runningBatchId: last };
  }
  const target = fanOut.select ? { select: fanOut.select } : { machines: fanOut.machines ?? [] };
  const { machines } = await batchMachines(redis, target, team);
  const taskIds = machines.map((m) => runTaskId(team, `${triggerId}/${m.name}`));
  const { data } = record.job;
  const info = batchInfo(batchId, team, data, machines.length, {
    select: fanOut.select,
    maxParallel: fanOut.maxParallel,
    stopOnFailure: fanOut.stopOnFailure,
  });
  await writeBatchIndex(redis, info, taskIds);
  const batch = {
    id: batchId,
    ...(fanOut.maxParallel !== undefined && { maxParallel: fanOut.maxParallel }),
    stopOnFailure: fanOut.stopOnFailure,
  };
  const queue = queues.forPriority(team, data.priority);
  // Each task's job as a created task's (taskJob), whatever version the record's data and options were kept in.
  const jobs: Job[] = await queue.addBulk(
    machines.map((m, i) =>
      taskJob({ ...data, machine: m.name, scheduleName: name, batch }, jobOptionsFor(data, taskIds[i]!)),
    ),
  );
  await indexByMachine(redis, queue, jobs);
  await redis.hset(registryKeys.scheduleRuns(team), name, batchId);
  return { outcome: 'queued', batchId, taskIds };
}

/** Whether any task of the batch has not finished (gone from the queue counts as finished: archived). */
async function batchGoing(redis: Redis, queues: TeamQueues, team: string, batchId: string): Promise<boolean> {
  const found = await readBatchIndex(redis, team, batchId);
  if (!found) return false;
  const lane = laneOf(found.info.priority);
  for (const id of found.taskIds) {
    const view = await readTeamTask(queues, redis, team, id, lane);
    if (view && !isTerminal(view.status)) return true;
  }
  return false;
}
