// The console's live stream over real HTTP with a real bridge: task events up to COMPLETED for a task created after
// connecting, overview pushes, a running task's output as it arrives then `end`, resuming with Last-Event-ID, the
// per-token stream limit, and every Redis connection a stream held released when pages go away.
import type { Bridge } from '@rediacc/bridge';
import { createDashboard } from '@rediacc/dashboard';
import type { RediaccClient } from '@rediacc/producer';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { openConsole, startConsoleStack } from '../harness/console-stack.js';
import { createTokens, type NamedToken } from '../harness/dashboard-fixtures.js';
import { openSse, type SseEvent, useHarness, waitFor } from '../harness/index.js';

const WAIT = { timeoutMs: 30_000 };
const SENTINEL = 'SENTINEL-console-events-91f3-do-not-leak';
const h = useHarness();
let redisUrl = '';
let client: RediaccClient;
let redis: Redis;
let bridge: Bridge;
let app: FastifyInstance;
let base = '';
let tokens: Record<string, NamedToken>;

const bearer = (name: string) => ({ authorization: `Bearer ${tokens[name]?.token}` });
const taskEvent = (taskId: string, status?: string) => (e: SseEvent) => {
  const data = e.data as { taskId?: string; status?: string };
  return e.event === 'task' && data.taskId === taskId && (status === undefined || data.status === status);
};
const statusesOf = (events: SseEvent[], taskId: string) =>
  events.filter(taskEvent(taskId)).map((e) => (e.data as { status: string }).status);

beforeAll(async () => {
  const stack = await startConsoleStack(h);
  ({ url: redisUrl, client, redis, bridge } = stack);
  await client.vault.set('A', 'API_TOKEN', SENTINEL);
  tokens = await createTokens(redis, {
    viewerA: { role: 'viewer', team: 'A' },
    viewerB: { role: 'viewer', team: 'B' },
    limited: { role: 'viewer', team: 'A' },
  });
  app = await openConsole(h, stack);
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

describe('console event stream', () => {
  it('answers 401 without a token and 403 for another team or its task', async () => {
    expect((await fetch(`${base}/api/events`)).status).toBe(401);
    const task = await client.tasks.create({ team: 'A', machine: 'm1', priority: 3, command: 'true' });
    for (const query of ['team=A', `task=${task.taskId}`]) {
      const res = await fetch(`${base}/api/events?${query}`, { headers: bearer('viewerB') });
      expect(res.status, query).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('RDC_FORBIDDEN');
    }
  });

  it('sends the overview, then the changes of a task created after connecting, up to COMPLETED', async () => {
    const sse = await openSse(`${base}/api/events`, bearer('viewerA'));
    try {
      expect(sse.status).toBe(200);
      expect(sse.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(sse.headers.get('cache-control')).toBe('no-store');
      expect(sse.headers.get('x-accel-buffering')).toBe('no');
      expect(sse.headers.get('content-encoding')).toBeNull();
      const first = await sse.next((e) => e.event === 'overview', 'the first overview');
      expect((first.data as { teams: Array<{ team: string }> }).teams.map((t) => t.team)).toEqual(['A']);
      // Runs past the bridge's 100 ms before it records PROCESSING (a shorter run goes from ASSIGNED to COMPLETED).
      const task = await client.tasks.create({
        team: 'A',
        machine: 'm1',
        priority: 3,
        command: 'sleep 0.5; echo hello',
      });
      const done = await sse.next(taskEvent(task.taskId, 'COMPLETED'), 'the task to complete');
      expect(done.data).toEqual({ taskId: task.taskId, team: 'A', status: 'COMPLETED' });
      expect(done.id).toEqual(expect.any(String));
      const statuses = statusesOf(sse.events, task.taskId);
      expect(statuses[0]).toBe('PENDING');
      expect(statuses).toContain('PROCESSING');
      // A change since the last push brings a fresh overview that counts it.
      const later = await sse.next(
        (e) =>
          e.event === 'overview' &&
          (e.data as { teams: Array<{ totals: { completed: number } }> }).teams[0]!.totals.completed >= 2,
        'an overview counting the task',
      );
      expect(later.data).toMatchObject({ at: expect.any(String), bridges: [{ id: bridge.config.name }] });
    } finally {
      sse.close();
    }
  });

  it('brings every open page an overview that counts the last change, even when pages share overview reads', async () => {
    // Pages of one scope share an overview read for a second; one read before a change must not be the one a page
    // gets after it (it would then wait for the 10 s refresh).
    const pages = await Promise.all(Array.from({ length: 6 }, () => openSse(`${base}/api/events`, bearer('viewerA'))));
    try {
      const completedIn = (e: SseEvent) =>
        (e.data as { teams: Array<{ totals: { completed: number } }> }).teams[0]!.totals.completed;
      const firsts = await Promise.all(
        pages.map((sse) => sse.next((e) => e.event === 'overview', 'the first overview')),
      );
      const before = Math.max(...firsts.map(completedIn));
      const task = await client.tasks.create({ team: 'A', machine: 'm1', priority: 3, command: 'true' });
      await client.tasks.wait(task.taskId, WAIT);
      const counted = await Promise.all(
        pages.map((sse) =>
          sse.next((e) => e.event === 'overview' && completedIn(e) > before, 'an overview counting the task', 5_000),
        ),
      );
      expect(counted.every((e) => completedIn(e) === before + 1)).toBe(true);
    } finally {
      for (const sse of pages) sse.close();
    }
  });

  it("streams a running task's output as it arrives, then its end", async () => {
    const task = await client.tasks.create({
      team: 'A',
      machine: 'm1',
      priority: 3,
      command: 'echo early-marker; sleep 1; echo late-marker; sleep 1',
    });
    await waitFor('the task to run', async () =>
      (await client.tasks.inspect(task.taskId)).status === 'PROCESSING' ? true : undefined,
    );
    // While it runs, the output route answers the tail from the live stream.
    const live = await waitFor('the first line in the live output', async () => {
      const res = await fetch(`${base}/api/tasks/${task.taskId}/output`, { headers: bearer('viewerA') });
      const body = (await res.json()) as { text: string; done: boolean };
      return body.text.includes('early-marker') ? body : undefined;
    });
    expect(live).toMatchObject({ offset: 0, truncated: false, done: false });
    expect(live.text.startsWith('early-marker\n')).toBe(true);
    const sse = await openSse(`${base}/api/events?task=${task.taskId}`, bearer('viewerA'));
    try {
      const end = await sse.next((e) => e.event === 'end', 'the end event');
      expect(end.data).toEqual({ taskId: task.taskId, status: 'COMPLETED' });
      const output = sse.events.filter((e) => e.event === 'output').map((e) => e.data as { text: string });
      expect(output.length).toBeGreaterThanOrEqual(2); // the late line came as a chunk of its own
      expect(output.map((o) => o.text).join('')).toBe('early-marker\nlate-marker\n');
      expect(output[0]).toMatchObject({ taskId: task.taskId, offset: 0 });
    } finally {
      sse.close();
    }
  });

  it('never streams the sentinel secret a task printed, only its mask', async () => {
    const sse = await openSse(`${base}/api/events?team=A`, bearer('viewerA'));
    const task = await client.tasks.create({
      team: 'A',
      machine: 'm1',
      priority: 3,
      command: 'echo "token $API_TOKEN"; sleep 1; echo "again $API_TOKEN"',
      secrets: ['API_TOKEN'],
    });
    await sse.next(taskEvent(task.taskId, 'PROCESSING'), 'the task to run');
    const follow = await openSse(`${base}/api/events?task=${task.taskId}`, bearer('viewerA'));
    try {
      await follow.next((e) => e.event === 'end', 'the end event');
      await sse.next(taskEvent(task.taskId, 'COMPLETED'), 'the task to complete');
      const streamed = JSON.stringify([...sse.events, ...follow.events]);
      expect(streamed).toContain('again ***');
      expect(streamed).not.toContain(SENTINEL);
    } finally {
      sse.close();
      follow.close();
    }
  });

  it('resumes after the last event a page saw (Last-Event-ID)', async () => {
    const first = await openSse(`${base}/api/events?team=A`, bearer('viewerA'));
    const overview = await first.next((e) => e.event === 'overview', 'the overview');
    first.close();
    const task = await client.tasks.create({ team: 'A', machine: 'm1', priority: 2, command: 'true' });
    await client.tasks.wait(task.taskId, WAIT);
    const again = await openSse(`${base}/api/events?team=A`, {
      ...bearer('viewerA'),
      'last-event-id': overview.id ?? '',
    });
    try {
      await again.next(taskEvent(task.taskId, 'COMPLETED'), 'the missed completion');
      expect(statusesOf(again.events, task.taskId)[0]).toBe('PENDING');
      // Replayed changes come before the overview of now.
      await again.next((e) => e.event === 'overview', 'the overview');
      const firstOverview = again.events.findIndex((e) => e.event === 'overview');
      expect(again.events.findIndex(taskEvent(task.taskId))).toBeLessThan(firstOverview);
    } finally {
      again.close();
    }
  });

  it('refuses a token its 21st stream with 429, and takes one again once a page went away', async () => {
    const open = [];
    for (let i = 0; i < 20; i += 1) open.push(await openSse(`${base}/api/events`, bearer('limited')));
    try {
      expect(open.every((sse) => sse.status === 200)).toBe(true);
      const refused = await fetch(`${base}/api/events`, { headers: bearer('limited') });
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('RDC_STREAM_LIMIT');
      open.pop()?.close();
      const retried = await waitFor('a free stream', async () => {
        const sse = await openSse(`${base}/api/events`, bearer('limited'));
        if (sse.status === 200) return sse;
        return undefined;
      });
      open.push(retried);
    } finally {
      for (const sse of open) sse.close();
    }
  });

  it('releases every Redis connection of its streams when pages go away, and the app closes with streams open', async () => {
    const clients = async () =>
      String(await redis.client('LIST'))
        .split('\n')
        .filter(Boolean).length;
    const before = await clients();
    const own = await createDashboard({ redis: redisUrl });
    const url = await own.listen({ host: '127.0.0.1', port: 0 });
    const task = await client.tasks.create({ team: 'A', machine: 'm1', priority: 3, command: 'sleep 30' });
    await waitFor('the task to run', async () =>
      (await client.tasks.inspect(task.taskId)).status === 'PROCESSING' ? true : undefined,
    );
    const pages = [
      await openSse(`${url}/api/events`, bearer('viewerA')),
      await openSse(`${url}/api/events?task=${task.taskId}`, bearer('viewerA')),
    ];
    for (const page of pages) await page.next((e) => e.event === 'overview', 'the overview');
    const during = await clients();
    expect(during).toBeGreaterThan(before);
    // Another page of the same team shares the team's QueueEvents: no new connection.
    const third = await openSse(`${url}/api/events?team=A`, bearer('viewerA'));
    await third.next((e) => e.event === 'overview', 'the overview');
    expect(await clients()).toBe(during);
    pages.push(third);
    for (const page of pages) page.close();
    // The shared QueueEvents stay until the app closes; the task page's output reader goes with its page.
    await waitFor('the output reader to go', async () => ((await clients()) < during ? true : undefined));
    const still = await openSse(`${url}/api/events?task=${task.taskId}`, bearer('viewerA'));
    await still.next((e) => e.event === 'overview', 'the overview');
    await own.close();
    await still.ended;
    await waitFor('every connection to go', async () => ((await clients()) === before ? true : undefined));
    await client.tasks.cancel([task.taskId]);
  });
});
