// What the console and board tests set up alike: named dashboard tokens, one per role and team, and a pair of
// finished tasks (one COMPLETED, one FAILED) that both read a vault secret, so a test can show it never leaks.
import { type TaskSpecInput, taskKey } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { createDashboardToken, type NewDashboardToken } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';

export interface NamedToken {
  token: string;
  id: string;
}

/** The tokens the console tests sign in with: each role of team A, and a fleet viewer and admin. */
export const TEAM_A_AND_FLEET_TOKENS = {
  viewerA: { role: 'viewer', team: 'A' },
  operatorA: { role: 'operator', team: 'A' },
  adminA: { role: 'admin', team: 'A' },
  viewerFleet: { role: 'viewer' },
  adminFleet: { role: 'admin' },
} as const satisfies Record<string, NewDashboardToken>;

/** One dashboard token per name: `createTokens(redis, { viewerA: { role: 'viewer', team: 'A' } })`. */
export async function createTokens<Name extends string>(
  redis: Redis,
  specs: Record<Name, NewDashboardToken>,
): Promise<Record<Name, NamedToken>> {
  const tokens = {} as Record<Name, NamedToken>;
  for (const [name, spec] of Object.entries(specs) as Array<[Name, NewDashboardToken]>) {
    const { token, record } = await createDashboardToken(redis, spec);
    tokens[name] = { token, id: record.id };
  }
  return tokens;
}

export interface OkAndFailedOptions {
  team: string;
  /** The machine both tasks run on, unless `failed` names another. */
  machine: string;
  /** The vault entry both tasks read as API_TOKEN: set in the team's vault first. */
  secret: string;
  /** A vaultData credential the ok task prints through RDC_VAULT_DATA. */
  credential: string;
  /** Changes to the failed task (its machine or priority). */
  failed?: Partial<TaskSpecInput>;
  timeoutMs?: number;
}

/**
 * Sets API_TOKEN in the team's vault, then runs an ok task that prints it and a vaultData credential, and a failed
 * task (exit 3, no retries) that prints it to stderr; waits until they are COMPLETED and FAILED.
 */
export async function okAndFailedTasks(
  client: RediaccClient,
  options: OkAndFailedOptions,
): Promise<{ ok: string; failed: string }> {
  const { team, machine, secret, credential, timeoutMs = 30_000 } = options;
  await client.vault.set(team, 'API_TOKEN', secret);
  const ok = await client.tasks.create({
    team,
    machine,
    priority: 3,
    command: 'echo "token $API_TOKEN"; echo "vault $RDC_VAULT_DATA"',
    secrets: ['API_TOKEN'],
    vaultData: { credentials: { token: credential } },
  });
  const failed = await client.tasks.create({
    team,
    machine,
    priority: 3,
    command: 'echo "failing with $API_TOKEN" >&2; exit 3',
    secrets: ['API_TOKEN'],
    maxRetries: 0,
    ...options.failed,
  });
  expect((await client.tasks.wait(ok.taskId, { timeoutMs })).status).toBe('COMPLETED');
  expect((await client.tasks.wait(failed.taskId, { timeoutMs })).status).toBe('FAILED');
  return { ok: ok.taskId, failed: failed.taskId };
}

/** The sealed vault blob of a task (priority 3, so in the normal queue) as Redis holds it: no answer may show it. */
export async function sealedVaultOf(redis: Redis, team: string, taskId: string): Promise<string> {
  const sealed: string = JSON.parse((await redis.hget(taskKey(team, 'normal', taskId), 'data')) ?? '{}').vault ?? '';
  expect(sealed.length).toBeGreaterThan(40);
  return sealed;
}
