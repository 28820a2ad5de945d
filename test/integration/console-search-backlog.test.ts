// Search at a backlog larger than the console's search window (5,000 tasks): a task id is one lookup and a machine
// has its own index, so both find a task older than the window, exactly; command text is searched a window at a
// time, says so (`searchLimited`, `scanned`, `window`), and the next window (the `next` cursor) finds it.
import { createDashboard } from '@rediacc/dashboard';
import { createClient, type RediaccClient } from '@rediacc/producer';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../harness/index.js';

const h = useHarness();
const BACKLOG = 5_200;
let app: FastifyInstance;
let client: RediaccClient;
let token: string;
let old: string;

beforeAll(async () => {
  const server = await h.redis();
  const machine = await h.machine();
  client = createClient({ redis: server.url });
  await client.teams.create('T');
  for (const name of ['busy', 'quiet']) {
    await client.machines.add({
      name,
      team: 'T',
      host: machine.host,
      port: machine.port,
      user: machine.user,
      keyFile: machine.privateKeyPath,
      hostKeyFingerprint: machine.hostKeyFingerprint,
    });
  }
  // The task looked for, then a backlog of newer tasks on another machine (no bridge: all stay pending).
  old = (await client.tasks.create({ team: 'T', machine: 'quiet', command: 'echo needle-in-the-backlog' })).taskId;
  const spec = { team: 'T', machine: 'busy', priority: 4, command: 'true' };
  for (let i = 0; i < BACKLOG; i += 1_000) {
    await client.tasks.createMany(Array.from({ length: Math.min(1_000, BACKLOG - i) }, () => spec));
  }
  app = await createDashboard({ redis: server.url });
  token = (await client.dashboardTokens.create({ role: 'viewer' })).token;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await client?.close();
});

async function search(query: string) {
  const res = await app.inject({ url: `/api/tasks?${query}`, headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    tasks: { taskId: string }[];
    next: string | null;
    scanned: number;
    searchLimited: boolean;
    window: number;
  };
}

describe(`task search behind ${BACKLOG} newer tasks`, () => {
  it('finds a task by id with one lookup', async () => {
    const byId = await search(`q=${old}`);
    expect(byId).toMatchObject({ tasks: [{ taskId: old }], searchLimited: false, next: null, scanned: 1 });
    const unknown = await search('q=00000000-0000-4000-8000-000000000000');
    expect(unknown).toMatchObject({ tasks: [], searchLimited: false, next: null });
  });

  it("finds a machine's tasks from its index, exactly, whatever the backlog of other machines", async () => {
    const quiet = await search('machine=quiet');
    expect(quiet).toMatchObject({ tasks: [{ taskId: old }], searchLimited: false, next: null });
    expect(quiet.scanned).toBeLessThan(10);
    const busy = await search('team=T&machine=busy&limit=5');
    expect(busy.tasks).toHaveLength(5);
    expect(busy).toMatchObject({ searchLimited: false, next: busy.tasks[4]?.taskId });
  });

  it('searches command text a window at a time, says so, and finds the task in the next window', async () => {
    const first = await search('q=needle-in-the');
    expect(first).toMatchObject({ tasks: [], searchLimited: true, scanned: 5_000, window: 5_000 });
    expect(first.next).toEqual(expect.any(String));
    const further = await search(`q=needle-in-the&before=${first.next}`);
    expect(further.tasks.map((t) => t.taskId)).toEqual([old]);
    expect(further).toMatchObject({ searchLimited: false, next: null });
  });
});
