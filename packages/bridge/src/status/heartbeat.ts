// The bridge's heartbeat: every few seconds it tells each team it serves that it is alive (see
// @rediacc/queue bridge-heartbeats), so `create task --wait` can say when no bridge serves a team. A missed beat
// is logged, never fatal: the heartbeat reports on the bridge, it does not gate its work.
import { hostname } from 'node:os';
import type { Logger } from '@rediacc/core';
import { type BridgeHeartbeat, clearHeartbeat, type TeamSlots, writeHeartbeat } from '@rediacc/queue';
import type { Redis } from 'ioredis';

/** How often a bridge beats; a heartbeat lives three beats, so one slow or lost beat does not make it look dead. */
export const HEARTBEAT_MS = 5_000;
export const HEARTBEAT_TTL_MS = 3 * HEARTBEAT_MS;
/** After a change of load, the next beat comes this soon (at most one extra beat per this period). */
const NUDGE_MS = 500;

export interface Heartbeat {
  /** The bridge's load changed: beat soon rather than at the next period, so `bridge list` shows it. */
  nudge(): void;
  /** Stops beating and removes the heartbeat, so readers see the bridge gone at once. Idempotent. */
  stop(): Promise<void>;
}

/** Writes the first heartbeat now (awaited, so a started bridge is visible at once), then every HEARTBEAT_MS. */
export async function startHeartbeat(
  redis: Redis,
  bridge: { id: string; teams: readonly string[]; version: string; slots: () => Record<string, TeamSlots> },
  logger: Logger,
): Promise<Heartbeat> {
  const startedAt = new Date().toISOString();
  const beat = (): Promise<void> => {
    const record: BridgeHeartbeat = {
      id: bridge.id,
      host: hostname(),
      pid: process.pid,
      teams: [...bridge.teams],
      startedAt,
      lastSeen: new Date().toISOString(),
      version: bridge.version,
      slots: bridge.slots(),
    };
    return writeHeartbeat(redis, record, HEARTBEAT_TTL_MS);
  };
  await beat().catch((error: Error) => logger.warn({ err: error }, 'could not write the bridge heartbeat'));
  let stopped: Promise<void> | undefined;
  const beatLogged = () => {
    if (stopped) return;
    beat().catch((error: Error) => logger.warn({ err: error }, 'could not write the bridge heartbeat'));
  };
  const timer = setInterval(beatLogged, HEARTBEAT_MS);
  timer.unref();
  let nudged: NodeJS.Timeout | undefined;
  return {
    nudge() {
      if (stopped || nudged) return;
      nudged = setTimeout(() => {
        nudged = undefined;
        beatLogged();
      }, NUDGE_MS);
      nudged.unref();
    },
    stop() {
      stopped ??= (async () => {
        clearInterval(timer);
        clearTimeout(nudged);
        await clearHeartbeat(redis, { id: bridge.id, teams: bridge.teams }).catch((error: Error) =>
          logger.warn({ err: error }, 'could not remove the bridge heartbeat'),
        );
      })();
      return stopped;
    },
  };
}
