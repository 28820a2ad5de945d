// What the alerting tests start alike: a Redis, teams with machine m1 each (one sshd), an SDK client, an admin
// connection (the producer's, to read and plant records) and a webhook receiver on 127.0.0.1, all closed by the
// harness.
import type { RediaccClient } from '@rediacc/producer';
import { createClient } from '@rediacc/producer';
import { createRedis } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { addTeamWithMachine } from './fleet.js';
import type { Harness, TestMachine } from './harness.js';
import { WebhookReceiver } from './webhook-receiver.js';

export interface AlertingStack {
  redisUrl: string;
  client: RediaccClient;
  admin: Redis;
  machine: TestMachine;
  /** Each team's vault key, as a bridge's teamKeys. */
  teamKeys: Record<string, string>;
  receiver: WebhookReceiver;
}

export async function startAlertingStack(h: Harness, teams: readonly string[]): Promise<AlertingStack> {
  const { url: redisUrl } = await h.redis();
  const machine = await h.machine();
  const client = createClient({ redis: redisUrl });
  h.own(() => client.close());
  const admin = createRedis(redisUrl, 'producer');
  h.own(async () => {
    await admin.quit();
  });
  const teamKeys: Record<string, string> = {};
  for (const team of teams) Object.assign(teamKeys, await addTeamWithMachine(client, team, machine));
  const receiver = await WebhookReceiver.start(h);
  return { redisUrl, client, admin, machine, teamKeys, receiver };
}
