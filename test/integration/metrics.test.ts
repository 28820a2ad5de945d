// Prometheus metrics: a bridge's /metrics counts finished tasks by team, machine and outcome, times them, counts
// retries and SSH connections, shows its slots, and never labels by task id.
import { startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { createDashboard } from '@rediacc/dashboard';
import { createClient } from '@rediacc/producer';
import { createDashboardToken } from '@rediacc/queue';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { addTeamWithMachine, parseProm, type Sample, sampleValue, useHarness, waitFor } from '../harness/index.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const h = useHarness();

async function scrape(url: string): Promise<{ status: number; text: string; samples: Sample[] }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, text, samples: res.status === 200 ? parseProm(text) : [] };
}

describe('bridge metrics', () => {
  it('serves counters, histograms and slots on /metrics, bound to loopback, with no task id in any label', async () => {
    const redis = await h.redis();
    const machine = await h.machine();
    const client = createClient({ redis: redis.url });
    const teamKeys = await addTeamWithMachine(client, 'metrics', machine);
    const bridge = await startBridge(
      { teamKeys, redisUrl: redis.url, teams: ['metrics'], batchSize: 2, metricsPort: 0 },
      { logger },
    );
    try {
      expect(bridge.metricsPort).toBeGreaterThan(0);
      const url = `http://127.0.0.1:${bridge.metricsPort}/metrics`;
      const ok = await client.tasks.create({ team: 'metrics', machine: 'm1', command: 'echo fine', priority: 2 });
      const bad = await client.tasks.create({
        team: 'metrics',
        machine: 'm1',
        command: 'exit 3',
        maxRetries: 1,
        retryDelay: 0.1,
      });
      expect((await client.tasks.wait(ok.taskId, { timeoutMs: 20_000 })).status).toBe('COMPLETED');
      expect((await client.tasks.wait(bad.taskId, { timeoutMs: 20_000 })).status).toBe('FAILED');
      const { samples, text } = await waitFor('both tasks counted', async () => {
        const got = await scrape(url);
        const failed = sampleValue(got.samples, 'rediacc_tasks_finished_total', { outcome: 'failed' });
        return failed === 1 ? got : undefined;
      });
      const labels = { team: 'metrics', machine: 'm1' };
      expect(sampleValue(samples, 'rediacc_tasks_finished_total', { ...labels, outcome: 'completed' })).toBe(1);
      expect(sampleValue(samples, 'rediacc_tasks_finished_total', { ...labels, outcome: 'failed' })).toBe(1);
      expect(sampleValue(samples, 'rediacc_task_retries_total', { team: 'metrics' })).toBe(1);
      expect(sampleValue(samples, 'rediacc_ssh_connections_total', labels)).toBeGreaterThanOrEqual(1);
      expect(sampleValue(samples, 'rediacc_ssh_connection_failures_total', labels)).toBeUndefined();
      expect(sampleValue(samples, 'rediacc_task_duration_seconds_count', { team: 'metrics' })).toBe(2);
      expect(sampleValue(samples, 'rediacc_task_duration_seconds_bucket', { team: 'metrics', le: '3600' })).toBe(2);
      // Queue wait: each task's first claim, by priority (the failed one's retry is not a second wait).
      expect(sampleValue(samples, 'rediacc_task_queue_wait_seconds_count', { team: 'metrics', priority: '2' })).toBe(1);
      expect(sampleValue(samples, 'rediacc_task_queue_wait_seconds_count', { team: 'metrics', priority: '3' })).toBe(1);
      expect(sampleValue(samples, 'rediacc_bridge_slots', { team: 'metrics', lane: 'normal', state: 'free' })).toBe(2);
      expect(sampleValue(samples, 'rediacc_bridge_slots', { team: 'metrics', lane: 'normal', state: 'busy' })).toBe(0);
      expect(sampleValue(samples, 'rediacc_bridge_process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(samples.every((s) => s.name.startsWith('rediacc_'))).toBe(true);
      for (const id of [ok.taskId, bad.taskId]) expect(text).not.toContain(id);
      expect((await fetch(`http://127.0.0.1:${bridge.metricsPort}/other`)).status).toBe(404);
    } finally {
      await bridge.close();
      await client.close();
    }
  });

  it('counts a failed SSH connection by machine', async () => {
    const redis = await h.redis();
    const machine = await h.machine();
    const client = createClient({ redis: redis.url });
    const teamKeys = await addTeamWithMachine(client, 'metricsdown', { ...machine, port: 1 });
    const bridge = await startBridge(
      { teamKeys, redisUrl: redis.url, teams: ['metricsdown'], metricsPort: 0, connectTimeoutMs: 2_000 },
      { logger },
    );
    try {
      await client.tasks.create({ team: 'metricsdown', machine: 'm1', command: 'true', maxRetries: 0 });
      const samples = await waitFor('a connection failure counted', async () => {
        const got = await scrape(`http://127.0.0.1:${bridge.metricsPort}/metrics`);
        const failures = sampleValue(got.samples, 'rediacc_ssh_connection_failures_total', {
          team: 'metricsdown',
          machine: 'm1',
        });
        return failures !== undefined ? got.samples : undefined;
      });
      expect(sampleValue(samples, 'rediacc_ssh_connection_failures_total', { machine: 'm1' })).toBeGreaterThanOrEqual(
        1,
      );
    } finally {
      await bridge.close();
      await client.close();
    }
  });
});

describe('bridge metrics: cancel and a busy port', () => {
  it('counts a task cancelled while running as cancelled, and refuses a metrics port in use', async () => {
    const redis = await h.redis();
    const machine = await h.machine();
    const client = createClient({ redis: redis.url });
    const teamKeys = await addTeamWithMachine(client, 'metricscancel', machine);
    const bridge = await startBridge(
      { teamKeys, redisUrl: redis.url, teams: ['metricscancel'], metricsPort: 0 },
      { logger },
    );
    try {
      await expect(
        startBridge(
          { teamKeys, redisUrl: redis.url, teams: ['metricscancel'], metricsPort: bridge.metricsPort },
          { logger },
        ),
      ).rejects.toMatchObject({ code: 'RDC_CONFIG_INVALID', message: expect.stringMatching(/EADDRINUSE/) });
      const { taskId } = await client.tasks.create({ team: 'metricscancel', machine: 'm1', command: 'sleep 30' });
      await waitFor('the task running', async () =>
        (await client.tasks.inspect(taskId)).status === 'PROCESSING' ? true : undefined,
      );
      await client.tasks.cancel([taskId]);
      expect((await client.tasks.wait(taskId, { timeoutMs: 20_000 })).status).toBe('CANCELLED');
      const url = `http://127.0.0.1:${bridge.metricsPort}/metrics`;
      const value = await waitFor('the cancel counted', async () =>
        sampleValue(parseProm(await (await fetch(url)).text()), 'rediacc_tasks_finished_total', {
          team: 'metricscancel',
          outcome: 'cancelled',
        }),
      );
      expect(value).toBe(1);
    } finally {
      await bridge.close();
      await client.close();
    }
  });
});

describe('dashboard metrics', () => {
  it('serves queue depth and the age of the oldest pending task per priority, behind a bearer token', async () => {
    const server = await h.redis();
    const machine = await h.machine();
    const client = createClient({ redis: server.url });
    const redis = new Redis(server.url);
    const app = await createDashboard({ redis: server.url });
    try {
      await addTeamWithMachine(client, 'idle', machine);
      await addTeamWithMachine(client, 'other', machine);
      const first = await client.tasks.create({ team: 'idle', machine: 'm1', command: 'true', priority: 4 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await client.tasks.create({ team: 'idle', machine: 'm1', command: 'true', priority: 4 });
      await client.tasks.create({ team: 'idle', machine: 'm1', command: 'true', priority: 1 });
      await client.tasks.create({ team: 'other', machine: 'm1', command: 'true', priority: 3 });

      expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
      const fleet = await createDashboardToken(redis, { role: 'viewer' });
      const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${fleet.token}` } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/plain');
      const samples = parseProm(res.body);
      const pending = (team: string, priority: string) =>
        sampleValue(samples, 'rediacc_queue_tasks', { team, priority, status: 'pending' });
      expect(pending('idle', '4')).toBe(2);
      expect(pending('idle', '1')).toBe(1);
      expect(pending('idle', '3')).toBe(0);
      expect(pending('other', '3')).toBe(1);
      expect(sampleValue(samples, 'rediacc_queue_tasks', { team: 'idle', status: 'active' })).toBe(0);
      const age4 = sampleValue(samples, 'rediacc_queue_oldest_pending_age_seconds', { team: 'idle', priority: '4' });
      const age1 = sampleValue(samples, 'rediacc_queue_oldest_pending_age_seconds', { team: 'idle', priority: '1' });
      expect(age4).toBeGreaterThanOrEqual(0.3);
      expect(age1).toBeLessThan(age4 as number);
      expect(sampleValue(samples, 'rediacc_queue_oldest_pending_age_seconds', { team: 'idle', priority: '3' })).toBe(
        undefined,
      );
      expect(res.body).not.toContain(first.taskId);

      // A team's token sees only its team.
      const teamToken = await createDashboardToken(redis, { role: 'viewer', team: 'other' });
      const own = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${teamToken.token}` } });
      const ownSamples = parseProm(own.body);
      expect(ownSamples.some((s) => s.labels.team === 'idle')).toBe(false);
      expect(sampleValue(ownSamples, 'rediacc_queue_tasks', { team: 'other', priority: '3', status: 'pending' })).toBe(
        1,
      );
    } finally {
      await app.close();
      redis.disconnect();
      await client.close();
    }
  });
});
