// Cancelling tasks that are running. The canceller does not know which bridge holds a task, and BullMQ's
// `worker.cancelJob` only works in the holding process, so a cancel is a flag (kept as long as finished tasks
// are) that any bridge can check, plus a broadcast on the team's channel that every bridge hears at once.

import { registryKeys } from '@rediacc/core';
import type { Redis } from 'ioredis';

/** Flags live as long as finished tasks are kept for `inspect`. */
export const CANCEL_REQUEST_TTL_SECONDS = 7 * 24 * 3600;

export async function requestCancel(redis: Redis, team: string, taskId: string): Promise<void> {
  await redis
    .multi()
    .set(registryKeys.cancelRequest(team, taskId), String(Date.now()), 'EX', CANCEL_REQUEST_TTL_SECONDS)
    .publish(registryKeys.cancelChannel(team), taskId)
    .exec();
}

/** Which of `taskIds` (of one team) a user asked to cancel. */
export async function cancelRequested(redis: Redis, team: string, taskIds: readonly string[]): Promise<Set<string>> {
  if (taskIds.length === 0) return new Set();
  const flags = await redis.mget(...taskIds.map((id) => registryKeys.cancelRequest(team, id)));
  return new Set(taskIds.filter((_, i) => flags[i] !== null));
}
