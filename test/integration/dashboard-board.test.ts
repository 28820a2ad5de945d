// Bull Board behind the dashboard's tokens, with a real bridge running real tasks: each token sees only its teams'
// queues, roles are enforced on Bull Board's own API (viewers change nothing, some actions nobody may call), every
// change is audited with the token's id, and a sentinel secret the tasks printed never reaches a viewer.
import { appRoutes } from '@bull-board/api/dist/routes.js';
import type { RediaccClient } from '@rediacc/producer';
import { readAudit } from '@rediacc/queue';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { openConsole, startConsoleWithTasks } from '../harness/console-stack.js';
import type { NamedToken } from '../harness/dashboard-fixtures.js';
import { useHarness, waitFor } from '../harness/index.js';

const SENTINEL = 'SENTINEL-board-secret-3f0e9a2d-do-not-leak';
const CREDENTIAL = 'SENTINEL-board-credential-b7c4-do-not-leak';
const WAIT = { timeoutMs: 30_000 };
const h = useHarness();
let client: RediaccClient;
let redis: Redis;
let app: FastifyInstance;
let tokens: Record<string, NamedToken>;
let tasks: { ok: string; failed: string; b: string };
/** The sealed vault blob of a task, as Redis holds it: the board must not show it either. */
let sealed = '';

const A_TASKS = encodeURIComponent('A:tasks');

async function as(name: string, method: 'GET' | 'PUT' | 'POST', url: string) {
  return app.inject({ method, url, headers: { authorization: `Bearer ${tokens[name]?.token}` } });
}

beforeAll(async () => {
  const stack = await startConsoleWithTasks(h, { tasks: { secret: SENTINEL, credential: CREDENTIAL } });
  ({ client, redis, tokens, sealed } = stack);
  const { ok, failed } = stack;
  const b = await client.tasks.create({ team: 'B', machine: 'm1', priority: 3, command: 'true' });
  tasks = { ok, failed, b: b.taskId };
  app = await openConsole(h, stack);
});

describe('Bull Board in the dashboard', () => {
  it('shows a team token its own team only, read-only for a viewer, and a fleet token every team', async () => {
    const viewer = await as('viewerA', 'GET', '/queues/api/queues');
    expect(viewer.statusCode).toBe(200);
    const viewerQueues = viewer.json().queues as Array<{ name: string; readOnlyMode: boolean; allowRetries: boolean }>;
    expect(viewerQueues.map((q) => q.name).sort()).toEqual(['A:critical', 'A:tasks']);
    expect(viewerQueues.every((q) => q.readOnlyMode && !q.allowRetries)).toBe(true);
    const admin = (await as('adminFleet', 'GET', '/queues/api/queues')).json().queues as Array<{
      name: string;
      readOnlyMode: boolean;
    }>;
    expect(admin.map((q) => q.name).sort()).toEqual(['A:critical', 'A:tasks', 'B:critical', 'B:tasks']);
    expect(admin.every((q) => !q.readOnlyMode)).toBe(true);
    expect((await as('viewerA', 'GET', '/queues/')).statusCode).toBe(200);
  });

  it('refuses a team token anything of another team with 403', async () => {
    const b = encodeURIComponent('B:tasks');
    for (const url of [`/queues/api/queues/${b}/${tasks.b}`, `/queues/api/queues/${b}/metrics`]) {
      const res = await as('viewerA', 'GET', url);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().message).toContain('may not see team B');
    }
    const retry = await as('adminA', 'PUT', `/queues/api/queues/${b}/${tasks.b}/promote`);
    expect(retry.statusCode).toBe(403);
    expect((await as('viewerFleet', 'GET', `/queues/api/queues/${b}/${tasks.b}`)).statusCode).toBe(200);
    expect((await as('viewerA', 'GET', '/queues/api/redis/stats')).statusCode).toBe(403);
    expect((await as('viewerFleet', 'GET', '/queues/api/redis/stats')).statusCode).toBe(200);
  });

  it('lets a viewer change nothing: retry, clean, promote, pause and empty are refused and audited', async () => {
    for (const [method, url] of [
      ['PUT', `/queues/api/queues/${A_TASKS}/${tasks.failed}/retry`],
      ['PUT', `/queues/api/queues/${A_TASKS}/${tasks.ok}/clean`],
      ['PUT', `/queues/api/queues/${A_TASKS}/clean/completed`],
      ['PUT', `/queues/api/queues/${A_TASKS}/${tasks.failed}/promote`],
      ['PUT', `/queues/api/queues/${A_TASKS}/promote`],
      ['PUT', `/queues/api/queues/${A_TASKS}/pause`],
      ['PUT', `/queues/api/queues/${A_TASKS}/empty`],
    ] as const) {
      const res = await as('viewerA', method, url);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().message, url).toMatch(/^RDC_FORBIDDEN: token [0-9a-f]{16} \(viewer of team A\) may not PUT/);
    }
    expect((await client.tasks.inspect(tasks.failed)).status).toBe('FAILED');
    expect((await client.tasks.inspect(tasks.ok)).status).toBe('COMPLETED');
    const denied = (await readAudit(redis, 'A')).entries.filter((e) => e.actor === `dashboard:${tokens.viewerA?.id}`);
    expect(denied.length).toBe(7);
    expect(denied.every((e) => e.outcome === 'denied')).toBe(true);
  });

  it('refuses everyone the actions the dashboard never allows (add, edit data, obliterate, pause all)', async () => {
    for (const [method, url] of [
      ['POST', `/queues/api/queues/${A_TASKS}/add`],
      ['PUT', `/queues/api/queues/${A_TASKS}/obliterate`],
      ['PUT', `/queues/api/queues/${A_TASKS}/retry/failed`],
      ['PUT', '/queues/api/queues/pause'],
      ['GET', `/queues/api/queues/${A_TASKS}/${tasks.ok}/flow`],
      ['GET', '/queues/api/job-schedulers'],
    ] as const) {
      const res = await as('adminFleet', method, url);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().message, url).toContain('the dashboard allows nobody');
    }
  });

  it("lets an operator retry a failed task, audited with the token's id", async () => {
    const res = await as('operatorA', 'PUT', `/queues/api/queues/${A_TASKS}/${tasks.failed}/retry`);
    expect(res.statusCode, res.body).toBe(204);
    const entry = (await readAudit(redis, 'A')).entries.find(
      (e) => e.actor === `dashboard:${tokens.operatorA?.id}` && e.action === 'task.retry',
    );
    expect(entry).toMatchObject({
      target: tasks.failed,
      outcome: 'ok',
      detail: { queue: 'A:tasks', role: 'operator' },
    });
    await client.tasks.wait(tasks.failed, WAIT);
  });

  it('refuses anyone to retry a completed task or a cancelled one from the board', async () => {
    const completed = await as('adminFleet', 'PUT', `/queues/api/queues/${A_TASKS}/${tasks.ok}/retry`);
    expect(completed.statusCode).toBe(403);
    expect(completed.json().message).toContain(`task ${tasks.ok} has not failed`);
    const running = await client.tasks.create({ team: 'A', machine: 'm1', priority: 3, command: 'sleep 30' });
    await waitFor('the task to run', async () =>
      (await client.tasks.inspect(running.taskId)).status === 'PROCESSING' ? true : undefined,
    );
    await client.tasks.cancel([running.taskId]);
    expect((await client.tasks.wait(running.taskId, WAIT)).status).toBe('CANCELLED');
    const cancelled = await as('adminFleet', 'PUT', `/queues/api/queues/${A_TASKS}/${running.taskId}/retry`);
    expect(cancelled.statusCode).toBe(403);
    expect(cancelled.json().message).toContain('failed with RDC_CANCELLED, which is never retried');
    expect((await client.tasks.inspect(running.taskId)).status).toBe('CANCELLED');
  });

  it('never sends a viewer the sentinel secret, the vaultData credential or the sealed vault blob', async () => {
    const bodies: string[] = [];
    for (const name of ['viewerA', 'viewerFleet']) {
      for (const status of ['latest', 'completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized']) {
        for (const queue of ['A:tasks', 'A:critical']) {
          const query = `activeQueue=${encodeURIComponent(queue)}&status=${status}&page=1&jobsPerPage=50`;
          bodies.push((await as(name, 'GET', `/queues/api/queues?${query}`)).body);
        }
      }
      for (const id of [tasks.ok, tasks.failed]) {
        for (const suffix of ['', '/logs']) {
          const res = await as(name, 'GET', `/queues/api/queues/${A_TASKS}/${id}${suffix}`);
          expect(res.statusCode).toBe(200);
          bodies.push(res.body);
        }
      }
      // Every GET route Bull Board has, allowed or not, for each queue and job: whatever it answers is checked.
      for (const route of appRoutes.api.filter((r) => r.method === 'get').flatMap((r) => [r.route].flat())) {
        for (const queue of ['A:tasks', 'A:critical']) {
          for (const id of [tasks.ok, tasks.failed]) {
            const url = route.replace(':queueName', encodeURIComponent(queue)).replace(':jobId', id);
            const res = await as(name, 'GET', `/queues${url}?type=completed&from=0&to=${Date.now()}`);
            expect([200, 403, 404], url).toContain(res.statusCode);
            bodies.push(res.body);
          }
        }
      }
      bodies.push((await as(name, 'GET', `/queues/queue/${A_TASKS}/${tasks.ok}`)).body);
    }
    const all = bodies.join('\n');
    // The jobs are really there: the board shows their (masked) output, failure reason and the vault marker.
    expect(all).toContain(tasks.ok);
    expect(all).toContain('token ***');
    expect(all).toContain('RDC_COMMAND_FAILED');
    expect(all).toContain('"vault":"[sealed]"');
    expect(all).not.toContain(SENTINEL);
    expect(all).not.toContain(CREDENTIAL);
    expect(all).not.toContain(sealed);
    expect(all).not.toContain(sealed.slice(0, 24));
    const detail = (await as('viewerA', 'GET', `/queues/api/queues/${A_TASKS}/${tasks.failed}`)).json();
    expect(detail.job.stacktrace).toEqual([]);
  });

  it('counts the tasks of the teams a token may see in /api/counts; the front page is the console', async () => {
    const own = (await as('viewerA', 'GET', '/api/counts')).json().teams as Array<Record<string, unknown>>;
    expect(own.map((t) => t.team)).toEqual(['A']);
    // One completed, one failed, one cancelled while running (BullMQ keeps it as failed) by the tests above.
    expect(own[0]).toMatchObject({ completed: 1, failed: 2, pending: 0, cancelled: 0 });
    const fleet = (await as('viewerFleet', 'GET', '/api/counts')).json().teams as Array<Record<string, unknown>>;
    expect(fleet.map((t) => t.team)).toEqual(['A', 'B']);
    expect(fleet[1]).toMatchObject({ team: 'B', pending: 1 });
    // The console page is a shell its modules fill from the JSON API, so it holds no team's data itself.
    const page = (await as('viewerA', 'GET', '/')).body;
    expect(page).toContain('viewer of team A');
    expect(page).toContain('<script type="module" src="/assets/console.js"></script>');
  });

  it('renders a task page with its id escaped, under a CSP that allows only our own scripts', async () => {
    const res = await as('viewerA', 'GET', `/tasks/${encodeURIComponent('<img src=x onerror=alert(1)>')}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('<img');
    expect(res.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(res.headers['content-security-policy']).toContain("script-src 'self';");
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
  });

  it('refuses a cookie-authenticated board change from another site, and allows it from the board itself', async () => {
    const login = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${encodeURIComponent(tokens.operatorA?.token ?? '')}`,
    });
    const cookie = login.cookies.find((c) => c.name === 'rdc_session')?.value ?? '';
    const url = `/queues/api/queues/${A_TASKS}/promote`;
    const cross = await app.inject({
      method: 'PUT',
      url,
      cookies: { rdc_session: cookie },
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(cross.statusCode).toBe(403);
    expect(cross.json().error.code).toBe('RDC_CSRF');
    const bare = await app.inject({ method: 'PUT', url, cookies: { rdc_session: cookie } });
    expect(bare.statusCode).toBe(403);
    const same = await app.inject({
      method: 'PUT',
      url,
      cookies: { rdc_session: cookie },
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    expect(same.statusCode, same.body).toBe(200);
  });
});
