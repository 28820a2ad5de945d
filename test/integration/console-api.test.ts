// The console's JSON API with a real bridge running real tasks: roles and teams enforced on every route, CSRF on
// cookie-session changes, cancel and retry audited with the token's id, search by id, command and machine, the
// tail of a 1 MB output, and a sentinel secret the tasks printed never in any answer.

import type { RediaccClient } from '@rediacc/producer';
import { readAudit } from '@rediacc/queue';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { openConsole, startConsoleWithTasks } from '../harness/console-stack.js';
import type { NamedToken } from '../harness/dashboard-fixtures.js';
import { useHarness, waitFor } from '../harness/index.js';

const SENTINEL = 'SENTINEL-console-secret-7d41c0-do-not-leak';
const CREDENTIAL = 'SENTINEL-console-credential-e29a-do-not-leak';
const WAIT = { timeoutMs: 30_000 };
const ORIGIN = 'http://localhost:80';
const h = useHarness();
let client: RediaccClient;
let redis: Redis;
let app: FastifyInstance;
let tokens: Record<string, NamedToken>;
let tasks: { ok: string; failed: string; big: string; b: string };
let sealed = '';

type Method = 'GET' | 'POST';

async function as(name: string, method: Method, url: string) {
  return app.inject({ method, url, headers: { authorization: `Bearer ${tokens[name]?.token}` } });
}

beforeAll(async () => {
  const stack = await startConsoleWithTasks(h, {
    moreMachinesOfA: ['web-7'],
    tokens: { operatorB: { role: 'operator', team: 'B' } },
    tasks: { secret: SENTINEL, credential: CREDENTIAL, failed: { machine: 'web-7', priority: 2 } },
  });
  ({ client, redis, tokens, sealed } = stack);
  const { ok, failed } = stack;
  // 1,000,000 bytes of output between two markers.
  const big = await client.tasks.create({
    team: 'A',
    machine: 'm1',
    priority: 3,
    command: "printf 'HEAD-MARKER\\n'; head -c 999976 /dev/zero | tr '\\0' x; printf '\\nTAIL-MARKER\\n'",
  });
  expect((await client.tasks.wait(big.taskId, WAIT)).status).toBe('COMPLETED');
  const b = await client.tasks.create({ team: 'B', machine: 'm1', priority: 3, command: 'echo team-b-only' });
  tasks = { ok, failed, big: big.taskId, b: b.taskId };
  app = await openConsole(h, stack);
});

const readRoutes = () => [
  '/api/overview',
  '/api/tasks',
  `/api/tasks/${tasks.ok}`,
  `/api/tasks/${tasks.ok}/output`,
  `/api/tasks/${tasks.ok}/output.txt`,
];

describe('console API access', () => {
  it('answers 401 on every route without credentials', async () => {
    for (const url of readRoutes()) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().error.code).toBe('RDC_UNAUTHENTICATED');
    }
    for (const action of ['cancel', 'retry']) {
      const res = await app.inject({ method: 'POST', url: `/api/tasks/${tasks.ok}/${action}` });
      expect(res.statusCode, action).toBe(401);
    }
  });

  it("lets every role of the task's team read it, and refuses another team's token with 403", async () => {
    for (const name of ['viewerA', 'operatorA', 'adminA', 'viewerFleet', 'adminFleet']) {
      for (const url of readRoutes()) expect((await as(name, 'GET', url)).statusCode, `${name} ${url}`).toBe(200);
    }
    for (const url of readRoutes().slice(2)) {
      const res = await as('operatorB', 'GET', url);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error).toMatchObject({ code: 'RDC_FORBIDDEN', message: expect.stringContaining('team A') });
    }
    for (const url of ['/api/overview?team=A', '/api/tasks?team=A']) {
      expect((await as('operatorB', 'GET', url)).statusCode, url).toBe(403);
    }
    for (const action of ['cancel', 'retry']) {
      const res = await as('operatorB', 'POST', `/api/tasks/${tasks.failed}/${action}`);
      expect(res.statusCode, action).toBe(403);
    }
    const own = (await as('operatorB', 'GET', '/api/tasks')).json();
    expect(own.tasks.map((t: { taskId: string }) => t.taskId)).toEqual([tasks.b]);
    expect((await as('operatorB', 'GET', '/api/overview')).json().teams.map((t: { team: string }) => t.team)).toEqual([
      'B',
    ]);
  });

  it('refuses a viewer cancel and retry with 403, audited as denied, and changes nothing', async () => {
    for (const name of ['viewerA', 'viewerFleet']) {
      for (const action of ['cancel', 'retry']) {
        const res = await as(name, 'POST', `/api/tasks/${tasks.failed}/${action}`);
        expect(res.statusCode, `${name} ${action}`).toBe(403);
        expect(res.json().error.message).toContain(`may not ${action} tasks: it needs operator`);
      }
    }
    expect((await client.tasks.inspect(tasks.failed)).status).toBe('FAILED');
    const denied = (await readAudit(redis, 'A')).entries.filter((e) => e.actor === `dashboard:${tokens.viewerA?.id}`);
    expect(denied.map((e) => `${e.action} ${e.outcome} ${e.target}`).sort()).toEqual([
      `task.cancel denied ${tasks.failed}`,
      `task.retry denied ${tasks.failed}`,
    ]);
  });

  it('refuses a cookie-session change that does not come from this site (CSRF)', async () => {
    const login = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${encodeURIComponent(tokens.operatorA?.token ?? '')}`,
    });
    const cookie = login.cookies.find((c) => c.name === 'rdc_session')?.value ?? '';
    expect(cookie).not.toBe('');
    for (const headers of [{}, { origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }]) {
      const res = await app.inject({
        method: 'POST',
        url: `/api/tasks/${tasks.failed}/retry`,
        cookies: { rdc_session: cookie },
        headers,
      });
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.json().error.code).toBe('RDC_CSRF');
    }
    expect((await client.tasks.inspect(tasks.failed)).status).toBe('FAILED');
    const read = await app.inject({ url: `/api/tasks/${tasks.failed}`, cookies: { rdc_session: cookie } });
    expect(read.statusCode).toBe(200);
  });
});

describe('console API tasks', () => {
  it('shows one task with its timings, sealed vault data and no stored output', async () => {
    const res = await as('viewerA', 'GET', `/api/tasks/${tasks.ok}`);
    expect(res.statusCode).toBe(200);
    const view = res.json();
    expect(view).toMatchObject({ taskId: tasks.ok, status: 'COMPLETED', team: 'A', machine: 'm1', exitCode: 0 });
    expect(view.vaultData).toBe('(sealed)');
    expect(view.output).toBeUndefined();
    expect(typeof view.usualDurationMs).toBe('number');
    expect(view.createdAt && view.startedAt && view.completedAt).toBeTruthy();
    expect((await as('viewerA', 'GET', '/api/tasks/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
  });

  it('lists newest first with filters and pages, and finds tasks by id, command and machine', async () => {
    const all = (await as('adminFleet', 'GET', '/api/tasks')).json();
    expect(all.tasks.map((t: { taskId: string }) => t.taskId)).toEqual([tasks.b, tasks.big, tasks.failed, tasks.ok]);
    expect(all).toMatchObject({ next: null, searchLimited: false });
    const first = (await as('adminA', 'GET', '/api/tasks?limit=2')).json();
    expect(first.tasks.map((t: { taskId: string }) => t.taskId)).toEqual([tasks.big, tasks.failed]);
    expect(first.next).toBe(tasks.failed);
    const second = (await as('adminA', 'GET', `/api/tasks?limit=2&before=${first.next}`)).json();
    expect(second.tasks.map((t: { taskId: string }) => t.taskId)).toEqual([tasks.ok]);
    expect(second.next).toBeNull();
    const ids = async (query: string) =>
      (await as('adminFleet', 'GET', `/api/tasks?${query}`)).json().tasks.map((t: { taskId: string }) => t.taskId);
    expect(await ids(`q=${tasks.failed}`)).toEqual([tasks.failed]);
    expect(await ids('q=TAIL-MARKER')).toEqual([tasks.big]);
    expect(await ids('q=web-')).toEqual([tasks.failed]);
    expect(await ids('machine=web-7')).toEqual([tasks.failed]);
    expect(await ids('status=FAILED')).toEqual([tasks.failed]);
    expect(await ids('priority=2')).toEqual([tasks.failed]);
    expect(await ids('team=B&status=&machine=&q=')).toEqual([tasks.b]);
    expect(await ids('team=A&q=team-b-only')).toEqual([]);
    const bad = await as('adminFleet', 'GET', '/api/tasks?limit=500');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'RDC_INVALID_INPUT', message: expect.stringContaining('limit') });
  });

  it('stops a search without an index at 5,000 tasks and says so', async () => {
    const specs = Array.from({ length: 5_100 }, () => ({ team: 'B', machine: 'm1', priority: 4, command: 'true' }));
    for (let i = 0; i < specs.length; i += 1_000) await client.tasks.createMany(specs.slice(i, i + 1_000));
    const res = (await as('adminFleet', 'GET', '/api/tasks?team=B&q=no-such-command')).json();
    expect(res).toMatchObject({ tasks: [], scanned: 5_000, searchLimited: true });
    expect(res.next).toEqual(expect.any(String));
    const rest = (await as('adminFleet', 'GET', `/api/tasks?team=B&q=team-b-only&before=${res.next}`)).json();
    expect(rest).toMatchObject({ searchLimited: false, next: null });
    expect(rest.tasks.map((t: { taskId: string }) => t.taskId)).toEqual([tasks.b]);
  });

  it('answers the tail of a 1 MB output, truncated, and the whole text as a download', async () => {
    const tail = (await as('viewerA', 'GET', `/api/tasks/${tasks.big}/output`)).json();
    const total = 'HEAD-MARKER\n'.length + 999_976 + '\nTAIL-MARKER\n'.length;
    expect(total).toBe(1_000_001);
    expect(tail).toMatchObject({ offset: total - 65_536, end: total, truncated: true, done: true });
    expect(tail.text.length).toBe(65_536);
    expect(tail.text.endsWith('x\nTAIL-MARKER\n')).toBe(true);
    const small = (await as('viewerA', 'GET', `/api/tasks/${tasks.big}/output?tail=100`)).json();
    expect(small.text.length).toBe(100);
    const whole = (await as('viewerA', 'GET', `/api/tasks/${tasks.ok}/output`)).json();
    expect(whole).toMatchObject({ offset: 0, truncated: false, done: true });
    expect((await as('viewerA', 'GET', `/api/tasks/${tasks.big}/output?tail=2000000`)).statusCode).toBe(400);
    const download = await as('viewerA', 'GET', `/api/tasks/${tasks.big}/output.txt`);
    expect(download.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(download.headers['content-disposition']).toBe(`attachment; filename="${tasks.big}.txt"`);
    expect(download.body.length).toBe(total);
    expect(download.body.startsWith('HEAD-MARKER\nxxx')).toBe(true);
  });

  it("cancels a running task for an operator, audited with the token's id", async () => {
    const running = await client.tasks.create({ team: 'A', machine: 'm1', priority: 3, command: 'sleep 30' });
    await waitFor('the task to run', async () =>
      (await client.tasks.inspect(running.taskId)).status === 'PROCESSING' ? true : undefined,
    );
    const res = await as('operatorA', 'POST', `/api/tasks/${running.taskId}/cancel`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ taskId: running.taskId, outcome: 'cancelled', status: 'CANCELLED' });
    const entry = (await readAudit(redis, 'A')).entries.find(
      (e) => e.action === 'task.cancel' && e.target === running.taskId,
    );
    expect(entry).toMatchObject({ actor: `dashboard:${tokens.operatorA?.id}`, outcome: 'ok' });
    const again = await as('adminA', 'POST', `/api/tasks/${running.taskId}/retry`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({
      code: 'RDC_TASK_NOT_RETRYABLE',
      message: expect.stringContaining('RDC_CANCELLED'),
    });
  });

  it("retries a failed task for an operator, audited with the token's id, never a completed one", async () => {
    const completed = await as('operatorA', 'POST', `/api/tasks/${tasks.ok}/retry`);
    expect(completed.statusCode).toBe(409);
    expect(completed.json().error.message).toContain('has not failed');
    const res = await as('operatorA', 'POST', `/api/tasks/${tasks.failed}/retry`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ taskId: tasks.failed, status: 'PENDING' });
    const entries = (await readAudit(redis, 'A')).entries.filter((e) => e.action === 'task.retry');
    expect(entries.find((e) => e.target === tasks.failed && e.outcome === 'ok')).toMatchObject({
      actor: `dashboard:${tokens.operatorA?.id}`,
    });
    expect(entries.find((e) => e.target === tasks.ok)).toMatchObject({ outcome: 'failed' });
    const rerun = await client.tasks.wait(tasks.failed, WAIT);
    expect(rerun).toMatchObject({ status: 'FAILED', attempts: 2 });
  });

  it('never answers with the sentinel secret, the vaultData credential or the sealed vault blob', async () => {
    const bodies: string[] = [];
    for (const name of ['viewerA', 'adminFleet']) {
      for (const url of [
        '/api/overview',
        '/api/tasks',
        '/api/tasks?q=token',
        `/api/tasks?q=${tasks.ok}`,
        ...[tasks.ok, tasks.failed].flatMap((id) => [
          `/api/tasks/${id}`,
          `/api/tasks/${id}/output`,
          `/api/tasks/${id}/output?tail=1048576`,
          `/api/tasks/${id}/output.txt`,
        ]),
      ]) {
        const res = await as(name, 'GET', url);
        expect(res.statusCode, url).toBe(200);
        bodies.push(res.body);
      }
    }
    const all = bodies.join('\n');
    expect(all).toContain('token ***'); // the masked echo is there: the check looks at the right text
    for (const secret of [SENTINEL, CREDENTIAL, sealed]) expect(all).not.toContain(secret);
  });
});
