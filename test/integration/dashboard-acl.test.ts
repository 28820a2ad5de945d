// Dashboard tokens and sessions sit under fleet keys that no team's Redis ACL user reaches: a team admin can neither
// read the token hashes nor forge a token or a session, and the token commands need a fleet admin.

import type { Role } from '@rediacc/core';
import { dashboardKeys } from '@rediacc/core';
import { createDashboardToken, isAccessRefusal, listDashboardTokens } from '@rediacc/queue';
import { describe, expect, it } from 'vitest';
import { aclFleet } from '../harness/acl-fleet.js';
import { runCli } from '../harness/cli-run.js';
import { useHarness } from '../harness/index.js';

const h = useHarness();

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'allowed',
    (error: unknown) => (isAccessRefusal(error) ? 'refused' : `failed: ${String(error)}`),
  );

describe('dashboard keys under Redis ACLs', () => {
  it('keeps every team user, admin included, away from tokens and sessions', async () => {
    const fleet = await aclFleet(h, ['A']);
    await createDashboardToken(fleet.raw, { role: 'viewer', team: 'A' });
    for (const role of ['admin', 'operator', 'viewer', 'bridge'] satisfies Role[]) {
      const redis = fleet.connectionAs('A', role);
      expect(await refusal(redis.hgetall(dashboardKeys.tokens)), role).toBe('refused');
      expect(await refusal(redis.hset(dashboardKeys.tokens, '0123456789abcdef', '{}')), role).toBe('refused');
      expect(await refusal(redis.set(dashboardKeys.session('f'.repeat(64)), '{}')), role).toBe('refused');
      expect(await refusal(listDashboardTokens(redis)), role).toBe('refused');
    }
  });

  it('refuses `dashboard token create` to a team admin with RDC_ACCESS_DENIED', async () => {
    const fleet = await aclFleet(h, ['B']);
    const env = { ...process.env, REDIS_URL: fleet.urlOf('B', 'admin'), RDC_HOME: await h.tempDir('rdc-home-') };
    const run = await runCli(['dashboard', 'token', 'create', '--role', 'admin', '--team', 'B'], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('RDC_ACCESS_DENIED');
    expect(run.stdout).not.toMatch(/rdt_/);
  });
});
