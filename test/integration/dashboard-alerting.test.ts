// The dashboard runs the alert engine too: with no bridge running at all, a team with pending tasks and a no-bridge
// rule gets its alert from the dashboard (one signed delivery to a real receiver), resolved once a bridge starts.
// A team whose vault key the dashboard lacks still has its alert evaluated and queued there; the delivery waits in
// the queue until an engine with the key (the bridge) sends it.
import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '@rediacc/alerts';
import { ALERT_DELIVERY_QUEUE, teamPrefix } from '@rediacc/core';
import { createDashboard } from '@rediacc/dashboard';
import type { RediaccClient } from '@rediacc/producer';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertingStack } from '../harness/alerting-stack.js';
import { startBridgeProcess, useHarness, waitFor } from '../harness/index.js';
import type { WebhookReceiver } from '../harness/webhook-receiver.js';

const h = useHarness();
const SECRET = 'dashboard-alerting-secret-5c1e9a';

let redisUrl: string;
let client: RediaccClient;
let admin: Redis;
let receiver: WebhookReceiver;
let dashboard: FastifyInstance;
let teamKeys: Record<string, string>;
let keyless: Queue;

interface Body {
  state: string;
  team: string;
  kind: string;
  subject: string;
}

beforeAll(async () => {
  ({ redisUrl, client, admin, teamKeys, receiver } = await startAlertingStack(h, ['lonely', 'keyless']));
  // The dashboard's keys directory holds lonely's key only.
  const keysDir = await h.tempDir('dashboard-keys');
  await writeFile(join(keysDir, 'lonely.key'), `${teamKeys.lonely}\n`, { mode: 0o600 });
  for (const team of ['lonely', 'keyless']) {
    await client.alerts.addWebhook({ url: receiver.url(`/${team}`), team, secret: SECRET });
    await client.alerts.addRule({ team, kind: 'no-bridge', for: '1s' });
    await client.tasks.create({ team, machine: 'm1', command: 'true' });
  }
  keyless = new Queue(ALERT_DELIVERY_QUEUE, { connection: admin, prefix: teamPrefix('keyless') });
  dashboard = await createDashboard({
    redis: redisUrl,
    alerting: { keysDir, evaluateEveryMs: 200, retryDelayMs: 200 },
  });
});

afterAll(async () => {
  await dashboard?.close();
  await keyless?.close();
});

describe('the alert engine of the dashboard', () => {
  it('raises no-bridge with no bridge running, queues what it cannot sign, and a bridge resolves both', async () => {
    await waitFor('the dashboard delivers lonely’s no-bridge alert', () =>
      receiver.bodies<Body>('/lonely').some((b) => b.state === 'firing') ? true : undefined,
    );
    const [post] = receiver.posts.filter((p) => p.path === '/lonely');
    const timestamp = String(post!.headers[TIMESTAMP_HEADER]);
    const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${post!.body}`).digest('hex')}`;
    expect(post!.headers[SIGNATURE_HEADER]).toBe(expected);
    expect(JSON.parse(post!.body)).toMatchObject({ state: 'firing', team: 'lonely', kind: 'no-bridge' });

    // keyless: evaluated and queued by the dashboard, but left waiting for an engine holding the key.
    await waitFor('keyless’s delivery queued', async () =>
      (await keyless.getJobCounts('waiting'))['waiting']! > 0 ? true : undefined,
    );
    expect(await keyless.getJobCounts('waiting', 'active', 'completed')).toEqual({
      waiting: 1,
      active: 0,
      completed: 0,
    });
    expect(receiver.bodies('/keyless')).toEqual([]);

    await startBridgeProcess(h, {
      name: 'late-bridge',
      redisUrl,
      teams: ['lonely', 'keyless'],
      teamKeys,
      alertEvaluateMs: 200,
      alertRetryDelayMs: 200,
    });
    for (const team of ['lonely', 'keyless']) {
      await waitFor(`${team}'s alert resolved`, () =>
        receiver.bodies<Body>(`/${team}`).some((b) => b.state === 'resolved') ? true : undefined,
      );
    }
    // Everything is delivered once by now: no more alert states are left for another engine to send.
    await waitFor('deliveries settled', async () => {
      const counts = await keyless.getJobCounts('waiting', 'delayed', 'active');
      return Object.values(counts).every((n) => n === 0) ? true : undefined;
    });
    for (const team of ['lonely', 'keyless']) {
      expect(receiver.bodies<Body>(`/${team}`).map((b) => `${b.kind}:${b.state}`)).toEqual([
        'no-bridge:firing',
        'no-bridge:resolved',
      ]);
    }
  });
});
