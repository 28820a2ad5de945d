// The index of a fan-out batch: its tasks in machine order (a zset) and its record (command, size, options), both
// under the team's prefix so a batch lives on its team's shard. The stop flag of --stop-on-failure sits beside them.
import { BATCH_RETENTION_SECONDS, type BatchInfo, batchInfoSchema, registryKeys } from '@rediacc/core';
import type { Redis } from 'ioredis';

/** Writes the batch's record and its task ids (in order) before its tasks are added, so every task finds its batch. */
export async function writeBatchIndex(redis: Redis, info: BatchInfo, taskIds: readonly string[]): Promise<void> {
  const index = registryKeys.batch(info.team, info.batchId);
  const record = registryKeys.batchInfo(info.team, info.batchId);
  const members = taskIds.flatMap((id, i) => [i, id]);
  await redis
    .multi()
    .zadd(index, ...members)
    .expire(index, BATCH_RETENTION_SECONDS)
    .set(record, JSON.stringify(batchInfoSchema.parse(info)), 'EX', BATCH_RETENTION_SECONDS)
    .exec();
}

/** Undoes writeBatchIndex when the batch's tasks could not all be added. */
export async function removeBatchIndex(redis: Redis, team: string, batchId: string): Promise<void> {
  await redis.del(registryKeys.batch(team, batchId), registryKeys.batchInfo(team, batchId));
}

/** The batch's record and its task ids in machine order; undefined when the team has no such batch. */
export async function readBatchIndex(
  redis: Redis,
  team: string,
  batchId: string,
): Promise<{ info: BatchInfo; taskIds: string[] } | undefined> {
  const [json, taskIds] = await Promise.all([
    redis.get(registryKeys.batchInfo(team, batchId)),
    redis.zrange(registryKeys.batch(team, batchId), 0, -1),
  ]);
  if (json === null) return undefined;
  return { info: batchInfoSchema.parse(JSON.parse(json)), taskIds };
}

/** The team among `teams` that holds the batch, if any. */
export async function findBatchTeam(
  redis: Redis,
  teams: readonly string[],
  batchId: string,
): Promise<string | undefined> {
  const found = await Promise.all(teams.map((t) => redis.exists(registryKeys.batchInfo(t, batchId))));
  return teams.find((_, i) => found[i] === 1);
}

/** Marks the batch stopped by the failure of `taskId` (the first one wins); its tasks not yet started never start. */
export async function stopBatch(redis: Redis, team: string, batchId: string, taskId: string): Promise<boolean> {
  const set = await redis.set(registryKeys.batchStop(team, batchId), taskId, 'EX', BATCH_RETENTION_SECONDS, 'NX');
  return set === 'OK';
}

/** The task whose failure stopped the batch, or undefined while it runs on. */
export async function batchStoppedBy(redis: Redis, team: string, batchId: string): Promise<string | undefined> {
  return (await redis.get(registryKeys.batchStop(team, batchId))) ?? undefined;
}
