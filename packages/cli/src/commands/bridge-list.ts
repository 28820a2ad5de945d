// rediacc bridge list [--team T] [--json]: the live bridges (their heartbeat has not expired) of every team the
// user may read, with their load. A table row sums the slots of the teams shown; --json keeps them per team.
import type { BridgeHeartbeat, TeamSlots } from '@rediacc/producer';
import type { Handler } from '../context.js';
import { done, json, table } from '../result.js';
import { ageOf } from './task-table.js';

export interface BridgeListCommandOptions {
  team?: string;
  json?: boolean;
}

export const BRIDGE_COLUMNS = ['id', 'host', 'pid', 'version', 'teams', 'normal', 'critical', 'up', 'lastSeen'];

export const bridgeList: Handler<BridgeListCommandOptions> = async (options, client) => {
  const bridges = await client.bridges.list(options.team === undefined ? {} : { team: options.team });
  return done(options.json ? json(bridges) : table(bridgeRows(bridges, Date.now()), BRIDGE_COLUMNS));
};

/** One row per bridge; slots as busy/free (summed over its teams), `-` from a bridge too old to report them. */
export function bridgeRows(bridges: readonly BridgeHeartbeat[], now: number): Record<string, string>[] {
  return bridges.map((b) => {
    const slots = b.slots === undefined ? undefined : Object.values(b.slots);
    return {
      id: b.id,
      host: b.host,
      pid: String(b.pid),
      version: b.version ?? '-',
      teams: b.teams.join(','),
      normal: laneCell(slots, 'normal'),
      critical: laneCell(slots, 'critical'),
      up: ageOf(b.startedAt, now),
      lastSeen: `${ageOf(b.lastSeen, now)} ago`,
    };
  });
}

function laneCell(slots: TeamSlots[] | undefined, lane: keyof TeamSlots): string {
  if (slots === undefined) return '-';
  const busy = slots.reduce((sum, s) => sum + s[lane].busy, 0);
  const free = slots.reduce((sum, s) => sum + s[lane].free, 0);
  return `${busy}/${free}`;
}
