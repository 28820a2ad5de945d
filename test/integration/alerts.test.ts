// Webhook alerts end to end: real Redis, real bridges (processes) and a real HTTP receiver on 127.0.0.1. A task that
// failed for good with failureAction "alert" is POSTed once, signed, even with two bridges running; a receiver that
// was down gets it after BullMQ's retries; a rule fires once while its condition holds and resolves once; the
// webhook's secret is nowhere in Redis (job data included) nor in the bridges' logs.
import { createHmac } from 'node:crypto';
import { type Alerting, SIGNATURE_HEADER, startAlerting, TIMESTAMP_HEADER } from '@rediacc/alerts';
import { ALERT_DELIVERY_QUEUE, createLogger, open, registryKeys, teamPrefix } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { createRedis } from '@rediacc/queue';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertingStack } from '../harness/alerting-stack.js';
import { type BridgeProcess, startBridgeProcess, useHarness, waitFor } from '../harness/index.js';
import { dumpRedis } from '../harness/redis-dump.js';
import type { WebhookReceiver } from '../harness/webhook-receiver.js';

const h = useHarness();
const logger = createLogger({ name: 'test', level: 'silent' });
const SENTINEL = 'sentinel-hmac-secret-9d41c07be2a35f18';
const ALERTS_GROUP = 'rdc-alerting';

let redisUrl: string;
let client: RediaccClient;
let admin: Redis;
let receiver: WebhookReceiver;
let teamKeys: Record<string, string>;
let webhookId: string;
const bridges: BridgeProcess[] = [];
const queues: Queue[] = [];

interface Body {
  id: string;
  state: string;
  team: string;
  kind: string;
  rule: string | null;
  subject: string;
  summary: string;
}

beforeAll(async () => {
  ({ redisUrl, client, admin, teamKeys, receiver } = await startAlertingStack(h, ['ops', 'idle']));
  webhookId = (await client.alerts.addWebhook({ url: receiver.url('/ops'), team: 'ops', secret: SENTINEL })).id;
  for (const name of ['alert-b1', 'alert-b2']) {
    bridges.push(
      await startBridgeProcess(h, {
        name,
        redisUrl,
        teams: ['ops'],
        teamKeys: { ops: teamKeys.ops! },
        batchSize: 2,
        alertEvaluateMs: 200,
        alertRetryDelayMs: 300,
      }),
    );
  }
});

afterAll(async () => {
  // Before the harness quits the admin connection they use.
  await Promise.all(queues.map((q) => q.close()));
});

function deliveries(team: string): Queue {
  const queue = new Queue(ALERT_DELIVERY_QUEUE, { connection: admin, prefix: teamPrefix(team) });
  queues.push(queue);
  return queue;
}

async function failTask(): Promise<string> {
  const { taskId } = await client.tasks.create({
    team: 'ops',
    machine: 'm1',
    command: 'echo boom >&2; exit 3',
    failureAction: 'alert',
  });
  const done = await client.tasks.wait(taskId, { timeoutMs: 30_000 });
  expect(done.status).toBe('FAILED');
  return taskId;
}

/** Every alert taken and acknowledged, every delivery finished: nothing more can arrive. */
async function settled(team: string): Promise<void> {
  const queue = deliveries(team);
  await waitFor(
    `alert deliveries of ${team} to settle`,
    async () => {
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
      const busy = Object.values(counts).reduce((a, b) => a + b, 0);
      const pending = (await admin.xpending(registryKeys.alerts(team), ALERTS_GROUP)) as [number, ...unknown[]];
      return busy === 0 && pending[0] === 0 ? true : undefined;
    },
    30_000,
  );
}

function postsAbout(path: string, subject: string) {
  return receiver.posts.filter((p) => p.path === path && (JSON.parse(p.body) as Body).subject === subject);
}

describe('failed-task alerts', () => {
  it('a task that failed for good is delivered once, signed, with two bridges running', async () => {
    const ids = await Promise.all([failTask(), failTask(), failTask()]);
    await waitFor('a delivery per failed task', () =>
      ids.every((id) => postsAbout('/ops', id).length > 0) ? true : undefined,
    );
    await settled('ops');
    for (const id of ids) {
      const posts = postsAbout('/ops', id);
      expect(posts, `deliveries about ${id}`).toHaveLength(1);
      const [post] = posts;
      const timestamp = String(post!.headers[TIMESTAMP_HEADER]);
      const expected = `sha256=${createHmac('sha256', SENTINEL).update(`${timestamp}.${post!.body}`).digest('hex')}`;
      expect(post!.headers[SIGNATURE_HEADER]).toBe(expected);
      expect(post!.headers['content-type']).toBe('application/json');
      expect(JSON.parse(post!.body)).toMatchObject({ state: 'firing', team: 'ops', kind: 'task-failed', rule: null });
    }
    const listed = await client.alerts.list({ team: 'ops' });
    expect(listed.filter((e) => ids.includes(e.subject)).map((e) => e.state)).toEqual(['firing', 'firing', 'firing']);
  });

  it('a receiver that was down gets the alert once it is back (BullMQ retries with backoff)', async () => {
    await receiver.stop();
    const id = await failTask();
    const queue = deliveries('ops');
    await waitFor('a failed delivery try', async () => {
      const jobs = await queue.getJobs(['delayed', 'waiting', 'active']);
      return jobs.some((j) => j.data.event.subject === id && j.attemptsMade >= 1) ? true : undefined;
    });
    expect(postsAbout('/ops', id)).toHaveLength(0);
    await receiver.listen();
    await waitFor('the delivery after the receiver came back', () =>
      postsAbout('/ops', id).length > 0 ? true : undefined,
    );
    await settled('ops');
    expect(postsAbout('/ops', id)).toHaveLength(1);
  });
});

describe('alert rules', () => {
  it('pending-above and no-bridge fire once while they hold and resolve once, with two engines', async () => {
    await client.alerts.addWebhook({ url: receiver.url('/idle'), team: 'idle' });
    const depth = await client.alerts.addRule({ team: 'idle', kind: 'pending-above', threshold: 1, for: '1s' });
    const lonely = await client.alerts.addRule({ team: 'idle', kind: 'no-bridge', for: '1s' });
    // No bridge serves team idle: its tasks stay pending, and two engines (as two dashboards would) watch it.
    const engines = await startEngines('idle');
    try {
      const tasks = await Promise.all(
        [1, 2].map(() => client.tasks.create({ team: 'idle', machine: 'm1', command: 'true' })),
      );
      const byRule = (rule: string) => receiver.bodies<Body>('/idle').filter((b) => b.rule === rule);
      await waitFor('both rules firing', () =>
        byRule(depth.id).length > 0 && byRule(lonely.id).length > 0 ? true : undefined,
      );
      // Many more evaluations while the conditions hold (150 ms each): still one message per rule.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await settled('idle');
      expect(byRule(depth.id).map((b) => b.state)).toEqual(['firing']);
      expect(byRule(lonely.id).map((b) => b.state)).toEqual(['firing']);

      await client.tasks.cancel(tasks.map((t) => t.taskId));
      await waitFor('both rules resolved', () =>
        byRule(depth.id).length > 1 && byRule(lonely.id).length > 1 ? true : undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await settled('idle');
      for (const rule of [depth.id, lonely.id]) {
        const messages = byRule(rule);
        expect(messages.map((b) => b.state)).toEqual(['firing', 'resolved']);
        expect(messages[1]!.id).toBe(messages[0]!.id);
      }
      expect(byRule(depth.id)[0]).toMatchObject({ kind: 'pending-above', subject: 'queue', team: 'idle' });
      const log = await client.alerts.list({ team: 'idle' });
      expect(log.map((e) => e.state).sort()).toEqual(['firing', 'firing', 'resolved', 'resolved']);
    } finally {
      await engines.close();
    }
  });
});

describe('machine-unreachable rule', () => {
  it('fires once per unreachable machine, from the bridges’ machine-status records, and resolves once', async () => {
    await client.alerts.addWebhook({ url: receiver.url('/machines'), team: 'idle' });
    const rule = await client.alerts.addRule({ team: 'idle', kind: 'machine-unreachable', for: '1s' });
    const status = (unreachableSince: number | null) =>
      JSON.stringify({
        bridgeId: 'b1',
        sampledAt: null,
        load1: null,
        load5: null,
        load15: null,
        memUsedBytes: null,
        memTotalBytes: null,
        diskFreeBytes: null,
        lastError: null,
        unreachableSince,
      });
    // What a sampling bridge writes (branch i11-sampling's contract): m1 down for 5 s already, m2 fine.
    const statusKey = `${teamPrefix('idle')}:machine-status`;
    await admin.hset(statusKey, 'm1', status(Date.now() - 5_000), 'm2', status(null));
    const engines = await startEngines('idle');
    try {
      const messages = () => receiver.bodies<Body>('/machines').filter((b) => b.rule === rule.id);
      await waitFor('m1 unreachable', () => (messages().length > 0 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await settled('idle');
      expect(messages().map((b) => `${b.state} ${b.subject}`)).toEqual(['firing m1']);
      await admin.hset(statusKey, 'm1', status(null));
      await waitFor('m1 reachable again', () => (messages().length > 1 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await settled('idle');
      expect(messages().map((b) => `${b.state} ${b.subject}`)).toEqual(['firing m1', 'resolved m1']);
    } finally {
      await engines.close();
    }
  });
});

/** Two engines for `team` on their own connections, as two dashboards would run them. */
async function startEngines(team: string): Promise<{ close(): Promise<void> }> {
  const connections = [createRedis(redisUrl, 'worker'), createRedis(redisUrl, 'worker')];
  const engines: Alerting[] = [];
  for (const [i, redis] of connections.entries()) {
    engines.push(
      await startAlerting({
        redis,
        teams: [team],
        consumer: `engine-${team}-${i}`,
        teamKeys: new Map([[team, teamKeys[team]!]]),
        logger,
        evaluateEveryMs: 150,
        delivery: { backoffMs: 200 },
      }),
    );
  }
  return {
    async close() {
      await Promise.all(engines.map((e) => e.close()));
      await Promise.all(connections.map((c) => c.quit()));
    },
  };
}

describe('the webhook secret', () => {
  it('is nowhere in Redis (job data included) nor in the bridges’ logs, only sealed to the team key', async () => {
    const dump = await dumpRedis(admin);
    // The scan saw the webhook and its deliveries' job data…
    expect(dump).toContain(webhookId);
    expect(dump).toContain('task-failed');
    // …and never the secret, which only the team's key opens.
    expect(dump).not.toContain(SENTINEL);
    const record = JSON.parse(String(await admin.hget(registryKeys.webhooks('ops'), webhookId)));
    expect(open(record.sealedSecret, teamKeys.ops!)).toBe(SENTINEL);
    for (const bridge of bridges) {
      expect(bridge.log()).toContain('alert');
      expect(bridge.log()).not.toContain(SENTINEL);
    }
  });
});
