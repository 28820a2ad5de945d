// What the tests that start a fresh team and bridges for it in each test share: one Redis, one sshd and an SDK
// client for the file; each team (`<prefix>-<pid>-<n>`) gets that sshd as machine m1, and each bridge serves one
// team with every team's key so far. The bridges are the test's: closeBridges after each test; the rest is closed
// by the harness.
import { type Bridge, type BridgeConfigInput, startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { addTeamWithMachine } from './fleet.js';
import type { Harness, TestMachine } from './harness.js';

const logger = createLogger({ name: 'test', level: 'silent' });

export interface TeamBridges {
  redisUrl: string;
  client: RediaccClient;
  machine: TestMachine;
  /** A new team with machine m1. */
  freshTeam(): Promise<string>;
  /** A bridge serving `team` (named `bridge-<team>` unless config names it). */
  bridgeFor(team: string, config?: Partial<BridgeConfigInput>): Promise<Bridge>;
  /** Closes the bridges started so far (they wait for their running tasks). */
  closeBridges(): Promise<void>;
}

export async function startTeamBridges(h: Harness, prefix: string): Promise<TeamBridges> {
  const { url: redisUrl } = await h.redis();
  const machine = await h.machine();
  const client = createClient({ redis: redisUrl });
  h.own(() => client.close());
  const teamKeys: Record<string, string> = {};
  const bridges: Bridge[] = [];
  let teams = 0;
  const closeBridges = async () => {
    await Promise.all(bridges.splice(0).map((b) => b.close()));
  };
  h.own(closeBridges);
  return {
    redisUrl,
    client,
    machine,
    async freshTeam() {
      const team = `${prefix}-${process.pid}-${++teams}`;
      Object.assign(teamKeys, await addTeamWithMachine(client, team, machine));
      return team;
    },
    async bridgeFor(team, config = {}) {
      const bridge = await startBridge(
        { teamKeys, redisUrl, teams: [team], name: `bridge-${team}`, ...config },
        { logger },
      );
      bridges.push(bridge);
      return bridge;
    },
    closeBridges,
  };
}
