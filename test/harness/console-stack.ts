// What the console tests start alike: a Redis, teams A and B with machine m1 each (one sshd), a bridge serving team
// A, a client and a raw Redis connection; then the console on it. The harness closes them all, the console first.
import { type Bridge, type BridgeConfigInput, startBridge } from '@rediacc/bridge';
import { createDashboard } from '@rediacc/dashboard';
import { createClient, type RediaccClient } from '@rediacc/producer';
import type { NewDashboardToken } from '@rediacc/queue';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import {
  createTokens,
  type NamedToken,
  type OkAndFailedOptions,
  okAndFailedTasks,
  sealedVaultOf,
  TEAM_A_AND_FLEET_TOKENS,
} from './dashboard-fixtures.js';
import { addMachine, addTeamWithMachine } from './fleet.js';
import type { Harness, TestMachine } from './harness.js';

export interface ConsoleStack {
  url: string;
  client: RediaccClient;
  /** A raw connection, for what the tests read or plant beside the SDK. */
  redis: Redis;
  machine: TestMachine;
  bridge: Bridge;
}

export interface ConsoleStackOptions {
  /** Changes to the bridge's config (team A, batch size 2, poll 100 ms). */
  bridge?: Partial<BridgeConfigInput>;
  /** More machines of team A beside m1, on the same sshd, registered before the bridge starts. */
  moreMachinesOfA?: string[];
}

/** The fleet the console runs on. */
export async function startConsoleStack(h: Harness, options: ConsoleStackOptions = {}): Promise<ConsoleStack> {
  const server = await h.redis();
  const client = createClient({ redis: server.url });
  h.own(() => client.close());
  const redis = new Redis(server.url);
  h.own(async () => {
    await redis.quit();
  });
  const machine = await h.machine();
  const teamKeys = await addTeamWithMachine(client, 'A', machine);
  for (const name of options.moreMachinesOfA ?? []) await addMachine(client, 'A', machine, name);
  await addTeamWithMachine(client, 'B', machine);
  const started = await startBridge({
    redisUrl: server.url,
    teams: ['A'],
    teamKeys,
    batchSize: 2,
    pollMs: 100,
    ...options.bridge,
  });
  h.own(() => started.close());
  return { url: server.url, client, redis, machine, bridge: started };
}

/** The console (dashboard server) on a stack's Redis, not listening until the test asks. */
export async function openConsole(h: Harness, stack: ConsoleStack): Promise<FastifyInstance> {
  const app = await createDashboard({ redis: stack.url });
  h.own(() => app.close());
  return app;
}

export interface ConsoleWithTasks extends ConsoleStack {
  tokens: Record<string, NamedToken>;
  /** The COMPLETED and the FAILED task of team A that read the sentinel secret (okAndFailedTasks). */
  ok: string;
  failed: string;
  /** The ok task's sealed vault blob, as Redis holds it. */
  sealed: string;
}

/**
 * The stack with a token of each role of team A and of the fleet (TEAM_A_AND_FLEET_TOKENS, plus `tokens`), and the
 * ok and failed tasks of team A on m1 that read `tasks.secret`: what the console API and Bull Board tests start from.
 */
export async function startConsoleWithTasks(
  h: Harness,
  options: ConsoleStackOptions & {
    tokens?: Record<string, NewDashboardToken>;
    tasks: Omit<OkAndFailedOptions, 'team' | 'machine'>;
  },
): Promise<ConsoleWithTasks> {
  const stack = await startConsoleStack(h, options);
  const tokens = await createTokens(stack.redis, { ...TEAM_A_AND_FLEET_TOKENS, ...options.tokens });
  const { ok, failed } = await okAndFailedTasks(stack.client, { team: 'A', machine: 'm1', ...options.tasks });
  return { ...stack, tokens, ok, failed, sealed: await sealedVaultOf(stack.redis, 'A', ok) };
}
