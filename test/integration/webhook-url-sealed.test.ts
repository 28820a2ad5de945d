// A webhook's URL is a secret too (Slack, Discord carry the credential in it): it is stored sealed to the team's
// key, shown everywhere as scheme://host/ and the path's last 4 characters, and a sentinel path never appears in a
// Redis dump, the alert engine's log or a dashboard API response, while a delivery still reaches the full URL.
// A record written in plaintext by an older version is skipped by the engines and sealed by an admin's listing.
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, open, registryKeys } from '@rediacc/core';
import { createDashboard } from '@rediacc/dashboard';
import type { RediaccClient } from '@rediacc/producer';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertingStack } from '../harness/alerting-stack.js';
import { useHarness, waitFor } from '../harness/index.js';
import { dumpRedis } from '../harness/redis-dump.js';
import type { WebhookReceiver } from '../harness/webhook-receiver.js';

const h = useHarness();
const SENTINEL = 'sentinel-url-credential-3f9a6c1d27e84b05';
const LEGACY_SENTINEL = 'sentinel-legacy-credential-8b2e47d1c0f9a365';

let client: RediaccClient;
let admin: Redis;
let receiver: WebhookReceiver;
let dashboard: FastifyInstance;
let logPath: string;
let teamKey: string;
let hookId: string;
const legacyId = 'wh-0123456789ab';

beforeAll(async () => {
  const stack = await startAlertingStack(h, ['ops']);
  ({ client, admin, receiver } = stack);
  teamKey = stack.teamKeys.ops!;
  const dir = await h.tempDir('sealed-url');
  await writeFile(join(dir, 'ops.key'), teamKey, { mode: 0o600 });
  // As an older version stored it: the URL in plaintext.
  await admin.hset(
    registryKeys.webhooks('ops'),
    legacyId,
    JSON.stringify({
      id: legacyId,
      url: receiver.url(`/legacy/${LEGACY_SENTINEL}`),
      team: 'ops',
      sealedSecret: null,
      createdAt: 1,
      createdBy: null,
    }),
  );
  hookId = (await client.alerts.addWebhook({ url: receiver.url(`/hook/${SENTINEL}`), team: 'ops' })).id;
  await client.alerts.addRule({ team: 'ops', kind: 'pending-above', threshold: 0, for: '1s' });
  await client.tasks.create({ team: 'ops', machine: 'm1', command: 'true' });
  logPath = join(dir, 'dashboard.log');
  dashboard = await createDashboard({
    redis: stack.redisUrl,
    logger: createLogger({ name: 'dashboard', level: 'debug', destination: createWriteStream(logPath) }),
    alerting: { keysDir: dir, evaluateEveryMs: 200, retryDelayMs: 200 },
  });
});

afterAll(async () => {
  await dashboard?.close();
});

describe('webhook URLs', () => {
  it('are delivered to in full but stored sealed, and never in Redis, logs or dashboard responses', async () => {
    await waitFor('the alert delivered to the sealed URL', () =>
      receiver.posts.some((p) => p.path === `/hook/${SENTINEL}`) ? true : undefined,
    );
    // The plaintext record is skipped, not delivered to, until it is sealed.
    expect(receiver.posts.filter((p) => p.path.startsWith('/legacy/'))).toEqual([]);
    const record = JSON.parse(String(await admin.hget(registryKeys.webhooks('ops'), hookId)));
    expect(record.url).toBeUndefined();
    expect(open(record.sealedUrls.ops, teamKey)).toBe(receiver.url(`/hook/${SENTINEL}`));
    expect(record.urlHint).toBe(`${receiver.url('/…/')}${SENTINEL.slice(-4)}`);

    const { token } = await client.dashboardTokens.create({ role: 'admin' });
    const responses: string[] = [];
    for (const url of ['/', '/api/whoami', '/api/counts', '/api/overview', '/api/tasks', '/queues/api/queues']) {
      const res = await dashboard.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode, url).toBe(200);
      responses.push(res.body);
    }
    // The console's alerts panel names where alerts go, redacted alike for a viewer and an admin.
    const viewer = (await client.dashboardTokens.create({ role: 'viewer', team: 'ops' })).token;
    for (const t of [token, viewer]) {
      const overview = await dashboard.inject({ url: '/api/overview', headers: { authorization: `Bearer ${t}` } });
      responses.push(overview.body);
      expect(overview.json().webhooks).toContainEqual({
        id: hookId,
        team: 'ops',
        url: `${receiver.url('/…/')}${SENTINEL.slice(-4)}`,
        signed: false,
      });
    }
    const everything = [await dumpRedis(admin), await readFile(logPath, 'utf8'), ...responses].join('\n');
    expect(everything).toContain(hookId);
    expect(everything).not.toContain(SENTINEL);
    expect(await readFile(logPath, 'utf8')).toContain(`"webhook":"${legacyId}"`);
  });

  it('are listed redacted, for an admin too, and a plaintext record is sealed by the listing', async () => {
    const listed = await client.alerts.listWebhooks('ops');
    expect(listed.map((w) => [w.id, w.url])).toEqual([
      [legacyId, `${receiver.url('/…/')}${LEGACY_SENTINEL.slice(-4)}`],
      [hookId, `${receiver.url('/…/')}${SENTINEL.slice(-4)}`],
    ]);
    const sealed = JSON.parse(String(await admin.hget(registryKeys.webhooks('ops'), legacyId)));
    expect(sealed.url).toBeUndefined();
    expect(open(sealed.sealedUrls.ops, teamKey)).toBe(receiver.url(`/legacy/${LEGACY_SENTINEL}`));
    expect(await dumpRedis(admin)).not.toContain(LEGACY_SENTINEL);
    const audit = await client.audit.read({ team: 'ops' });
    expect(audit.entries.some((e) => e.action === 'alert.webhook.seal' && e.target === legacyId)).toBe(true);
  });
});
