// The bridges as the SDK shows them: which are alive (their heartbeat has not expired), with their version and
// their slots busy and free per team. Listing reads only the teams the caller may read, so a team user sees the
// bridges of their team and never fails on another team's keys.
import { parseInput, teamNameSchema } from '@rediacc/core';
import { type BridgeHeartbeat, getTeam, listTeams, liveBridges, readableTeams } from '@rediacc/queue';
import type { Redis } from 'ioredis';

export interface BridgeListOptions {
  /** Only the bridges serving this team (default: every team the caller may read). */
  team?: string;
}

export class Bridges {
  constructor(private readonly redis: Redis) {}

  /** The bridges serving `team` now: each beats every few seconds, and a bridge that stopped is gone within 15 s. */
  async live(team: string): Promise<BridgeHeartbeat[]> {
    // async: a malformed name rejects the promise like every other SDK failure, it does not throw synchronously.
    parseInput(teamNameSchema, team, 'team name');
    return liveBridges(this.redis, team);
  }

  /**
   * Every live bridge once, however many teams it serves, sorted by id. Its `teams` and `slots` name only the
   * teams listed (a team user does not learn which other teams a shared bridge serves).
   */
  async list(options: BridgeListOptions = {}): Promise<BridgeHeartbeat[]> {
    const teams =
      options.team === undefined
        ? await readableTeams(
            this.redis,
            (await listTeams(this.redis)).map((t) => t.name),
          )
        : [(await getTeam(this.redis, options.team)).name];
    const byId = new Map<string, { beat: BridgeHeartbeat; teams: string[] }>();
    for (const team of teams) {
      for (const beat of await liveBridges(this.redis, team)) {
        const seen = byId.get(beat.id);
        const newest = seen && seen.beat.lastSeen >= beat.lastSeen ? seen.beat : beat;
        byId.set(beat.id, { beat: newest, teams: [...(seen?.teams ?? []), team] });
      }
    }
    return [...byId.values()]
      .map(({ beat, teams: shown }) => shownTeams(beat, shown))
      .sort((a, b) => a.id.localeCompare(b.id));
  }
}

function shownTeams(beat: BridgeHeartbeat, teams: readonly string[]): BridgeHeartbeat {
  const { slots, ...rest } = beat;
  const shown = beat.teams.filter((t) => teams.includes(t));
  if (slots === undefined) return { ...rest, teams: shown };
  return { ...rest, teams: shown, slots: Object.fromEntries(shown.flatMap((t) => (slots[t] ? [[t, slots[t]]] : []))) };
}
