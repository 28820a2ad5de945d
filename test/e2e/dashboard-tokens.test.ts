// `rediacc dashboard token create|list|revoke` as a user runs them: the token is printed once on the last line,
// Redis holds only its SHA-256, every flag is validated, and team tokens' create and revoke are audited.
import { readAudit, verifyDashboardToken } from '@rediacc/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from '../harness/cli-run.js';
import { useHarness } from '../harness/index.js';

const h = useHarness();
let env: NodeJS.ProcessEnv;
let redis: Redis;

const rediacc = (args: string[]): Promise<CliRun> => runCli(['dashboard', 'token', ...args], { env });
const lastLine = (text: string) => text.trimEnd().split('\n').at(-1) ?? '';

beforeAll(async () => {
  const server = await h.redis();
  env = { ...process.env, REDIS_URL: server.url, RDC_HOME: await h.tempDir('rdc-home-'), RDC_LOG_LEVEL: 'warn' };
  redis = new Redis(server.url);
  expect((await runCli(['team', 'create', 'Ops'], { env })).code).toBe(0);
});
afterAll(() => redis?.quit());

describe('rediacc dashboard token', () => {
  it('creates a team token, prints it last, and stores only its hash', async () => {
    const run = await rediacc(['create', '--role', 'viewer', '--team', 'Ops', '--expires', '30d']);
    expect(run.code, run.stderr).toBe(0);
    const token = lastLine(run.stdout);
    expect(token).toMatch(/^rdt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(run.stdout).toMatch(/viewer of team Ops, expires 20\d\d-/);
    // Nowhere in Redis: not in any key name, not in any value.
    for (const key of await redis.keys('*')) {
      expect(key).not.toContain(token);
      const type = await redis.type(key);
      const values = type === 'hash' ? await redis.hvals(key) : type === 'string' ? [await redis.get(key)] : [];
      for (const value of values) expect(value ?? '').not.toContain(token.slice(21));
    }
    const check = await verifyDashboardToken(redis, token);
    expect(check).toMatchObject({ ok: true, principal: { role: 'viewer', team: 'Ops' } });
  });

  it('lists ids, roles, teams and expiry, never a token or a hash', async () => {
    const created = JSON.parse((await rediacc(['create', '--role', 'admin', '--json'])).stdout);
    expect(created).toMatchObject({ role: 'admin', team: null, expiresAt: null });
    const list = await rediacc(['list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const rows = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((r) => r.id)).toContain(created.id);
    expect(list.stdout).not.toContain(created.token);
    expect(rows.every((r) => !('hash' in r) && !('token' in r))).toBe(true);
  });

  it('revokes a token: it is refused from then on, and a second revoke names the unknown id', async () => {
    const created = JSON.parse((await rediacc(['create', '--role', 'operator', '--team', 'Ops', '--json'])).stdout);
    expect((await verifyDashboardToken(redis, created.token)).ok).toBe(true);
    const revoke = await rediacc(['revoke', created.id]);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(await verifyDashboardToken(redis, created.token)).toEqual({ ok: false, reason: 'unknown' });
    const again = await rediacc(['revoke', created.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`RDC_TOKEN_UNKNOWN: no dashboard token has id ${created.id}`);
    const actions = (await readAudit(redis, 'Ops')).entries.filter((e) => e.target === created.id).map((e) => e.action);
    expect(actions).toEqual(['token.create', 'token.revoke']);
  });

  it('refuses an expired token', async () => {
    const created = JSON.parse((await rediacc(['create', '--role', 'viewer', '--expires', '1s', '--json'])).stdout);
    const expiresAt = Date.parse(created.expiresAt);
    expect(await verifyDashboardToken(redis, created.token, expiresAt)).toEqual({ ok: false, reason: 'expired' });
    expect((await verifyDashboardToken(redis, created.token, expiresAt - 1)).ok).toBe(true);
  });

  it.each([
    [['create', '--role', 'root'], 2, 'role must be one of viewer, operator, admin'],
    [['create'], 2, "required option '--role <role>' not specified"],
    [['create', '--role', 'viewer', '--expires', '30 days'], 2, 'duration must be a whole number and a unit'],
    [['create', '--role', 'viewer', '--team', 'a:b'], 2, 'team'],
    [['create', '--role', 'viewer', '--team', 'Nope'], 1, 'RDC_TEAM_UNKNOWN: team "Nope" does not exist'],
    [['revoke', 'not-an-id'], 2, 'token id must be 16 lower-case hex digits'],
  ])('rejects `dashboard token %j` (exit %i)', async (args, code, message) => {
    const run = await rediacc(args);
    expect(run.code, run.stderr).toBe(code);
    expect(run.stderr).toContain(message);
  });
});
