// GET /api/overview after real tasks ran on a real bridge: per-priority counts (pending, assigned, processing),
// totals, the oldest pending age per priority, the last 15 minutes' throughput from BullMQ's metrics (the bridge's
// workers collect them), the live bridges and the machines with the tasks holding their slots.
import type { Bridge } from '@rediacc/bridge';
import type { RediaccClient } from '@rediacc/producer';
import { appendAlertLog, createDashboardToken } from '@rediacc/queue';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { openConsole, startConsoleStack } from '../harness/console-stack.js';
import { useHarness, waitFor } from '../harness/index.js';

const WAIT = { timeoutMs: 30_000 };
const h = useHarness();
let client: RediaccClient;
let redis: Redis;
let bridge: Bridge;
let app: FastifyInstance;
let token = '';

interface Bucket {
  minuteStart: string;
  completed: number;
  failed: number;
}

beforeAll(async () => {
  const stack = await startConsoleStack(h, { bridge: { sampleIntervalMs: 500 } });
  ({ client, redis, bridge } = stack);
  token = (await createDashboardToken(redis, { role: 'viewer' })).token;
  const runs = await client.tasks.createMany([
    { team: 'A', machine: 'm1', priority: 3, command: 'true' },
    { team: 'A', machine: 'm1', priority: 1, command: 'true' },
    { team: 'A', machine: 'm1', priority: 4, command: 'true' },
    { team: 'A', machine: 'm1', priority: 3, command: 'exit 1', maxRetries: 0 },
  ]);
  for (const run of runs) await client.tasks.wait(run.taskId, WAIT);
  await client.tasks.createMany([
    { team: 'B', machine: 'm1', priority: 1, command: 'true' },
    { team: 'B', machine: 'm1', priority: 5, command: 'true' },
    { team: 'B', machine: 'm1', priority: 5, command: 'true' },
  ]);
  app = await openConsole(h, stack);
});

async function overview(bearer = token) {
  const res = await app.inject({ url: '/api/overview', headers: { authorization: `Bearer ${bearer}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('console overview', () => {
  it('carries the newest alert messages of the teams the token may see, and no other team’s', async () => {
    const now = Date.now();
    const alert = (team: string, at: number) => ({
      id: `queue-depth.${team}.${at}`,
      state: 'firing' as const,
      team,
      kind: 'pending-above' as const,
      rule: 'ar-0123456789ab',
      subject: 'queue',
      summary: `team ${team} has too many pending tasks`,
      since: at - 60_000,
      at,
    });
    await appendAlertLog(redis, alert('A', now - 1_000));
    await appendAlertLog(redis, alert('B', now));
    const all = await overview();
    expect(all.alerts.map((a: { team: string }) => a.team)).toEqual(['B', 'A']);
    expect(all.alerts[1]).toMatchObject({
      state: 'firing',
      kind: 'pending-above',
      summary: 'team A has too many pending tasks',
      at: new Date(now - 1_000).toISOString(),
      since: new Date(now - 61_000).toISOString(),
    });
    const teamA = (await createDashboardToken(redis, { role: 'viewer', team: 'A' })).token;
    expect((await overview(teamA)).alerts.map((a: { team: string }) => a.team)).toEqual(['A']);
  });

  it('counts the tasks that ran in the last 15 one-minute buckets, from BullMQ metrics', async () => {
    const body = await overview();
    const a = body.teams.find((t: { team: string }) => t.team === 'A');
    const buckets: Bucket[] = a.throughput;
    expect(buckets).toHaveLength(15);
    const starts = buckets.map((b) => Date.parse(b.minuteStart));
    expect(starts.every((at, i) => i === 0 || at - (starts[i - 1] ?? 0) === 60_000)).toBe(true);
    expect(starts[14]).toBe(Math.floor(Date.parse(body.at) / 60_000) * 60_000);
    expect(buckets.reduce((n, b) => n + b.completed, 0)).toBe(3);
    expect(buckets.reduce((n, b) => n + b.failed, 0)).toBe(1);
    expect(a.totals).toEqual({ pending: 0, assigned: 0, processing: 0, completed: 3, failed: 1, cancelled: 0 });
  });

  it('counts pending tasks per priority with the age of the oldest, for a team no bridge serves', async () => {
    const b = (await overview()).teams.find((t: { team: string }) => t.team === 'B');
    expect(b.byPriority['1']).toEqual({ pending: 1, assigned: 0, processing: 0 });
    expect(b.byPriority['5']).toEqual({ pending: 2, assigned: 0, processing: 0 });
    expect(b.byPriority['3']).toEqual({ pending: 0, assigned: 0, processing: 0 });
    expect(b.oldestPendingAgeSeconds).toMatchObject({ '2': null, '3': null, '4': null });
    expect(b.oldestPendingAgeSeconds['1']).toEqual(expect.any(Number));
    expect(b.oldestPendingAgeSeconds['5']).toEqual(expect.any(Number));
    expect(b.throughput.every((bucket: Bucket) => bucket.completed === 0 && bucket.failed === 0)).toBe(true);
  });

  it('shows a running task on its priority, its machine and the live bridge', async () => {
    const running = await client.tasks.create({ team: 'A', machine: 'm1', priority: 2, command: 'sleep 30' });
    await waitFor('the task to run', async () =>
      (await client.tasks.inspect(running.taskId)).status === 'PROCESSING' ? true : undefined,
    );
    // The bridge samples the machine it holds a connection to (every 500 ms here).
    await waitFor('a sample of m1', async () =>
      (await overview()).machines.find((m: { name: string }) => m.name === 'm1')?.sample ? true : undefined,
    );
    const body = await overview();
    const a = body.teams.find((t: { team: string }) => t.team === 'A');
    const sample = body.machines.find((m: { name: string }) => m.name === 'm1').sample;
    expect(sample.load1).toBeGreaterThanOrEqual(0);
    expect(sample.memTotalBytes).toBeGreaterThan(0);
    expect(sample.memUsedBytes).toBeLessThanOrEqual(sample.memTotalBytes);
    expect(sample.diskFreeBytes).toBeGreaterThan(0);
    expect(Date.parse(sample.at)).toBeLessThanOrEqual(Date.parse(body.at));
    expect(a.byPriority['2']).toEqual({ pending: 0, assigned: 0, processing: 1 });
    expect(a.totals.processing).toBe(1);
    expect(body.machines).toContainEqual({
      team: 'A',
      name: 'm1',
      host: expect.any(String),
      running: 1,
      sample: expect.anything(),
      lastError: null,
      unreachableSince: null,
    });
    expect(body.machines.find((m: { team: string }) => m.team === 'B').running).toBe(0);
    expect(body.machines.find((m: { team: string }) => m.team === 'B').sample).toBeNull();
    expect(body.bridges.map((b: { id: string }) => b.id)).toEqual([bridge.config.name]);
    await client.tasks.cancel([running.taskId]);
  });
});
