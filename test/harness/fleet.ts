// Registering harness machines through the SDK, the set-up most fleet tests start with.
import type { RediaccClient } from '@rediacc/producer';
import type { TestMachine } from './harness.js';

/**
 * Creates `team` and registers `machine` in it as `name` (default "m1"), pinned to its real host key. Returns the
 * team's vault key as `{ [team]: secretKey }`, the `teamKeys` a bridge serving the team needs.
 */
export async function addTeamWithMachine(
  client: RediaccClient,
  team: string,
  machine: TestMachine,
  name = 'm1',
): Promise<Record<string, string>> {
  const { secretKey } = await client.teams.create(team);
  await addMachine(client, team, machine, name);
  return { [team]: secretKey };
}

/** Registers `machine` in `team` (already there) as `name`, pinned to its real host key. */
export async function addMachine(client: RediaccClient, team: string, machine: TestMachine, name: string) {
  return client.machines.add({
    name,
    team,
    host: machine.host,
    port: machine.port,
    user: machine.user,
    keyFile: machine.privateKeyPath,
    hostKeyFingerprint: machine.hostKeyFingerprint,
  });
}
