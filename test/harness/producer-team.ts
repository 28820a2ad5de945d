// What the tests of a create's writes start alike: an SDK client on a team with machine m1 (one sshd), and a
// connection of the test's own beside it, with the team's lane queues, to read (or break) what the producer wrote.
// All closed by the harness.
import { createClient, type RediaccClient } from '@rediacc/producer';
import { TeamQueues } from '@rediacc/queue';
import { Redis } from 'ioredis';
import { addTeamWithMachine } from './fleet.js';
import type { Harness } from './harness.js';

export interface ProducerTeam {
  redisUrl: string;
  client: RediaccClient;
  raw: Redis;
  queues: TeamQueues;
  /** The team's vault key, as a bridge's teamKeys. */
  teamKeys: Record<string, string>;
}

export async function startProducerTeam(h: Harness, team: string): Promise<ProducerTeam> {
  const { url: redisUrl } = await h.redis();
  const client = createClient({ redis: redisUrl });
  h.own(() => client.close());
  const { raw, queues } = openRaw(h, redisUrl);
  const teamKeys = await addTeamWithMachine(client, team, await h.machine());
  return { redisUrl, client, raw, queues, teamKeys };
}

/** A connection of the test's own with the lane queues on it (TeamQueues), closed by the harness. */
export function openRaw(h: Harness, redisUrl: string): { raw: Redis; queues: TeamQueues } {
  const raw = new Redis(redisUrl);
  h.own(async () => {
    await raw.quit();
  });
  const queues = new TeamQueues(raw);
  h.own(() => queues.close());
  return { raw, queues };
}
