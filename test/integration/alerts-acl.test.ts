// Webhook alerts under Redis ACL users (`acl apply`): a team's admin changes its webhooks and rules, operators and
// viewers only read them, nobody reaches another team's, only the fleet admin adds a webhook of every team; and a
// bridge user has exactly what the alert engine needs (consumer group, firing state, deliveries), with nothing
// refused in ACL LOG.
import { type Alerting, startAlerting } from '@rediacc/alerts';
import { createLogger, RdcError } from '@rediacc/core';
import { createRedis, recordAlert } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AclFleet, aclFleet } from '../harness/acl-fleet.js';
import { useHarness, waitFor } from '../harness/index.js';
import { WebhookReceiver } from '../harness/webhook-receiver.js';

const h = useHarness();
const logger = createLogger({ name: 'test', level: 'silent' });
let fleet: AclFleet;

async function denied(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a refusal').toBeInstanceOf(RdcError);
  expect((error as RdcError).code, (error as Error).message).toBe('RDC_ACCESS_DENIED');
}

async function refusalsOf(raw: Redis, user: string): Promise<string[]> {
  const log = (await raw.call('ACL', 'LOG')) as unknown[][];
  await raw.call('ACL', 'LOG', 'RESET');
  return log
    .map((entry) => {
      const fields: Record<string, unknown> = {};
      for (let i = 0; i + 1 < entry.length; i += 2) fields[String(entry[i])] = entry[i + 1];
      return fields;
    })
    .filter((e) => e.username === user)
    .map((e) => `${e.reason} ${e.object}`);
}

beforeAll(async () => {
  fleet = await aclFleet(h);
});

describe('alerts under ACL users', () => {
  it('a team admin changes its own webhooks and rules; operators and viewers read; other teams are out of reach', async () => {
    const adminA = fleet.clientAs('A', 'admin');
    const hook = await adminA.alerts.addWebhook({ url: 'https://a.example/hook', team: 'A', secret: 'a'.repeat(32) });
    const rule = await adminA.alerts.addRule({ team: 'A', kind: 'pending-above', threshold: 10, for: '1m' });
    const hookB = await fleet.admin.alerts.addWebhook({ url: 'https://b.example/hook', team: 'B' });
    const everyTeam = await fleet.admin.alerts.addWebhook({ url: 'https://all.example/hook' });

    await denied(adminA.alerts.addWebhook({ url: 'https://x.example/', team: 'B' }));
    await denied(adminA.alerts.addWebhook({ url: 'https://x.example/' }));
    await denied(adminA.alerts.addRule({ team: 'B', kind: 'no-bridge', for: '1m' }));
    expect((await adminA.alerts.listWebhooks()).map((w) => w.id).sort()).toEqual([hook.id, everyTeam.id].sort());
    await expect(adminA.alerts.removeWebhook(hookB.id)).rejects.toMatchObject({ code: 'RDC_WEBHOOK_UNKNOWN' });

    for (const role of ['operator', 'viewer'] as const) {
      const user = fleet.clientAs('A', role);
      await denied(user.alerts.addWebhook({ url: 'https://x.example/', team: 'A' }));
      await denied(user.alerts.addRule({ team: 'A', kind: 'no-bridge', for: '1m' }));
      await denied(user.alerts.removeRule(rule.id));
      expect((await user.alerts.listWebhooks('A')).map((w) => w.id)).toContain(hook.id);
      expect((await user.alerts.listRules()).map((r) => r.id)).toEqual([rule.id]);
      expect(await user.alerts.list()).toEqual([]);
    }
    expect((await adminA.alerts.removeRule(rule.id)).id).toBe(rule.id);
    expect((await adminA.alerts.removeWebhook(hook.id)).id).toBe(hook.id);
  });

  it('a bridge user runs the alert engine with nothing refused', async () => {
    const receiver = await WebhookReceiver.start(h);
    await fleet.admin.alerts.addWebhook({ url: receiver.url('/a'), team: 'A', secret: 'b'.repeat(32) });
    await fleet.admin.alerts.addRule({ team: 'A', kind: 'pending-above', threshold: 0, for: '1s' });
    await fleet.raw.call('ACL', 'LOG', 'RESET');
    const redis = createRedis(fleet.urlOf('A', 'bridge'), 'worker');
    let engine: Alerting | undefined;
    try {
      engine = await startAlerting({
        redis,
        teams: ['A'],
        consumer: 'acl-engine',
        teamKeys: new Map([['A', fleet.teamKeys.A!]]),
        logger,
        evaluateEveryMs: 150,
        delivery: { backoffMs: 200 },
      });
      await recordAlert(fleet.raw, {
        taskId: 't-1',
        team: 'A',
        machine: 'm1',
        error: 'exit 3',
        attempts: 1,
        at: Date.now(),
      });
      const { taskId } = await fleet.admin.tasks.create({ team: 'A', machine: 'm1', command: 'true' });
      await waitFor('a task alert and a rule alert delivered', () => {
        const kinds = receiver.bodies<{ kind: string }>('/a').map((b) => b.kind);
        return kinds.includes('task-failed') && kinds.includes('pending-above') ? true : undefined;
      });
      expect(receiver.posts.every((p) => String(p.headers['x-rediacc-signature']).startsWith('sha256='))).toBe(true);
      await fleet.admin.tasks.cancel([taskId]);
      await waitFor('the rule resolved', () =>
        receiver.bodies<{ state: string }>('/a').some((b) => b.state === 'resolved') ? true : undefined,
      );
    } finally {
      await engine?.close();
      await redis.quit();
    }
    expect(await refusalsOf(fleet.raw, 'rdc-A-bridge')).toEqual([]);
  });
});
