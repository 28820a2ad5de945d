// Which bridges are alive, per team. Each bridge writes a heartbeat key per team it serves, with an expiry a few
// beats long (so liveness is decided by Redis' clock, not the reader's), and lists itself in the team's bridges
// zset, so a reader finds the keys without SCAN. The record is JSON; fields added later (version, slots) are
// optional, so a reader still understands a bridge of an older version during a rolling upgrade.

import { registryKeys } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { z } from 'zod';

const laneLoadSchema = z.object({
  /** Tasks of the lane running (or holding a permit) on this bridge now. */
  busy: z.number().int().nonnegative(),
  /** How many more tasks of the lane this bridge could start now (P1–P2 may take any free permit). */
  free: z.number().int().nonnegative(),
});

/** One team's slots on one bridge: `normal` is P3–P5, `critical` is P1–P2. */
export const teamSlotsSchema = z.object({ normal: laneLoadSchema, critical: laneLoadSchema });
export type TeamSlots = z.infer<typeof teamSlotsSchema>;

export const bridgeHeartbeatSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  teams: z.array(z.string()),
  startedAt: z.string(),
  lastSeen: z.string(),
  /** The bridge package's version; absent from bridges older than this field. */
  version: z.string().optional(),
  /** Per team served: its slots busy and free; absent from bridges older than this field. */
  slots: z.record(z.string(), teamSlotsSchema).optional(),
});
export type BridgeHeartbeat = z.infer<typeof bridgeHeartbeatSchema>;

/** Zset entries older than this are pruned by the next heartbeat of any bridge of the team. */
const FORGET_AFTER_MS = 60 * 60 * 1000;

/** Writes `beat` for each of its teams, live for `ttlMs`: one pipeline per team (SET PX, ZADD, prune). */
export async function writeHeartbeat(redis: Redis, beat: BridgeHeartbeat, ttlMs: number): Promise<void> {
  const now = Date.parse(beat.lastSeen);
  // One pipeline per team: a team's keys share its hash tag, different teams' may sit on different Cluster shards.
  const perTeam = beat.teams.map((team) =>
    redis
      .pipeline()
      .set(registryKeys.bridgeHeartbeat(team, beat.id), JSON.stringify(beat), 'PX', ttlMs)
      .zadd(registryKeys.bridges(team), now, beat.id)
      .zremrangebyscore(registryKeys.bridges(team), '-inf', now - FORGET_AFTER_MS)
      .exec(),
  );
  const replies = (await Promise.all(perTeam)).flatMap((r) => r ?? []);
  const failed = replies.find(([error]) => error)?.[0];
  if (failed) throw failed;
}

/** Removes a stopping bridge's heartbeat from each of its teams, so readers see it gone at once. */
export async function clearHeartbeat(redis: Redis, beat: { id: string; teams: readonly string[] }): Promise<void> {
  await Promise.all(
    beat.teams.map((team) =>
      redis
        .pipeline()
        .del(registryKeys.bridgeHeartbeat(team, beat.id))
        .zrem(registryKeys.bridges(team), beat.id)
        .exec(),
    ),
  );
}

/** The bridges of `team` whose heartbeat has not expired. Two round trips at any fleet size an hour holds. */
export async function liveBridges(redis: Redis, team: string): Promise<BridgeHeartbeat[]> {
  const ids = await redis.zrange(registryKeys.bridges(team), 0, -1);
  if (ids.length === 0) return [];
  const values = await redis.mget(ids.map((id) => registryKeys.bridgeHeartbeat(team, id)));
  return values.flatMap((json) => {
    if (json === null) return [];
    const parsed = bridgeHeartbeatSchema.safeParse(JSON.parse(json));
    return parsed.success ? [parsed.data] : [];
  });
}
