// The raw BullMQ event stream of a team's lane (`rdc:{team}:<queue>:events`, capped by BullMQ), for readers that
// need more than a live QueueEvents: where it ends now, and the entries after a position (to resume a client that
// reconnects). Entries are [stream id, [field, value, …]] as Redis returns them.
import type { Lane } from '@rediacc/core';
import { LANE_QUEUES, teamPrefix } from '@rediacc/core';
import type { Redis } from 'ioredis';

export type LaneEvent = [id: string, fields: string[]];

export function laneEventsKey(team: string, lane: Lane): string {
  return `${teamPrefix(team)}:${LANE_QUEUES[lane]}:events`;
}

/** The id of the newest entry of the lane's event stream, or '0-0' when it is empty. */
export async function lastLaneEventId(redis: Redis, team: string, lane: Lane): Promise<string> {
  const [last] = await redis.xrevrange(laneEventsKey(team, lane), '+', '-', 'COUNT', 1);
  return last?.[0] ?? '0-0';
}

/** Up to `count` entries after `afterId`, oldest first. */
export async function laneEventsAfter(
  redis: Redis,
  team: string,
  lane: Lane,
  afterId: string,
  count: number,
): Promise<LaneEvent[]> {
  return redis.xrange(laneEventsKey(team, lane), `(${afterId}`, '+', 'COUNT', count);
}
