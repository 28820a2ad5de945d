// tasks.list's one order through the SDK on a real redis-server: newest created first across states, pages by
// cursor that neither skip nor repeat a task while tasks change state, and a task that finished late (an old one
// finishing after newer ones) placed by its creation time.
import { createClient, type RediaccClient } from '@rediacc/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../harness/index.js';

const h = useHarness();
let client: RediaccClient;
let team: string;

beforeAll(async () => {
  client = createClient({ redis: (await h.redis()).url });
  const machine = await h.machine();
  team = `list-${process.pid}`;
  await client.teams.create(team);
  await client.machines.add({
    team,
    name: 'm1',
    host: machine.host,
    port: machine.port,
    user: machine.user,
    keyFile: machine.privateKeyPath,
    hostKeyFingerprint: machine.hostKeyFingerprint,
  });
});

afterAll(async () => {
  await client?.close();
});

async function pages(limit: number, between?: (page: number) => Promise<void>): Promise<string[][]> {
  const out: string[][] = [];
  let before: string | undefined;
  for (;;) {
    const page = await client.tasks.list({ team, limit, ...(before && { before }) });
    if (page.length > 0) out.push(page.map((t) => t.taskId));
    if (page.length < limit) return out;
    before = page[page.length - 1]!.taskId;
    await between?.(out.length);
  }
}

describe('tasks.list order and paging', () => {
  it('pages through every pending priority newest first, with no task skipped or repeated while tasks are cancelled', async () => {
    // Batches a few ms apart, each spread over every priority: creation order is batch order.
    for (let batch = 0; batch < 8; batch++) {
      await client.tasks.createMany(
        [1, 2, 3, 4, 5, 3, 3].map((priority) => ({ team, machine: 'm1', priority, command: `echo ${batch}` })),
      );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const all = await client.tasks.list({ team, limit: 1000 });
    expect(all).toHaveLength(56);
    const times = all.map((t) => Date.parse(t.createdAt!));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect((await pages(9)).flat()).toEqual(all.map((t) => t.taskId));
    // Cancelling tasks between pages moves them to another state (tombstones); the pages still cover each once.
    const cancelled = all.slice(20, 40).map((t) => t.taskId);
    const walked = await pages(9, async (page) => {
      if (page === 1) await client.tasks.cancel(cancelled);
    });
    expect(walked.flat()).toEqual(all.map((t) => t.taskId));
    const after = await client.tasks.list({ team, limit: 1000 });
    expect(after.filter((t) => t.status === 'CANCELLED').map((t) => t.taskId)).toEqual(cancelled);
    // A time cursor: the tasks created before it.
    const cut = all[30]!;
    const older = await client.tasks.list({ team, limit: 1000, before: cut.createdAt! });
    expect(older.map((t) => t.taskId)).toEqual(
      all.filter((t) => Date.parse(t.createdAt!) < Date.parse(cut.createdAt!)).map((t) => t.taskId),
    );
  });

  it('sorts a page by priority and reverses it without changing which tasks it holds', async () => {
    const newest = await client.tasks.list({ team, limit: 10 });
    const byPriority = await client.tasks.list({ team, limit: 10, sort: 'priority' });
    expect(new Set(byPriority.map((t) => t.taskId))).toEqual(new Set(newest.map((t) => t.taskId)));
    const priorities = byPriority.map((t) => t.priority);
    expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
    const reversed = await client.tasks.list({ team, limit: 10, reverse: true });
    expect(reversed.map((t) => t.taskId)).toEqual(newest.map((t) => t.taskId).reverse());
  });

  it('rejects a cursor that is neither a task id nor a time', async () => {
    await expect(client.tasks.list({ team, before: 'yesterday-ish' })).rejects.toMatchObject({
      code: 'RDC_INVALID_INPUT',
    });
  });
});
