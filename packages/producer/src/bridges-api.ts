// The bridges of a team as the SDK shows them: which are alive (their heartbeat has not expired). A later
// version adds their slots, busy and free.
import { parseInput, teamNameSchema } from '@rediacc/core';
import { type BridgeHeartbeat, liveBridges } from '@rediacc/queue';
import type { Redis } from 'ioredis';

export class Bridges {
  constructor(private readonly redis: Redis) {}

  /** The bridges serving `team` now: each beats every few seconds, and a bridge that stopped is gone within 15 s. */
  live(team: string): Promise<BridgeHeartbeat[]> {
    parseInput(teamNameSchema, team, 'team name');
    return liveBridges(this.redis, team);
  }
}
