// Retention and the archive: finished tasks past their team's retention are appended to the archive, then removed
// from the live queue; the export gives every finished task, archived or live, once. A bridge SIGKILLed between the
// append and the removal loses nothing and archives nothing twice: the next archiver finishes the removals. Tasks
// cancelled before they ran are archived past the retention too (their tombstones moved, once).
import { type Bridge, startBridge } from '@rediacc/bridge';
import { createLogger, registryKeys, type TaskView, teamPrefix } from '@rediacc/core';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startBridgeProcess, useHarness, waitFor } from '../harness/index.js';
import { type Fleet, faultBridge, fleet } from './fleet-faults.js';

const h = useHarness();

async function exported(f: Fleet): Promise<TaskView[]> {
  const out: TaskView[] = [];
  for await (const task of f.client.archive.export(f.team)) out.push(task);
  return out;
}

async function createDone(f: Fleet, n: number): Promise<string[]> {
  const created = await f.client.tasks.createMany(
    Array.from({ length: n }, (_, i) => ({
      team: f.team,
      machine: 'm1',
      command: `echo run ${i}`,
      vaultData: { credentials: { token: `s3cret-${i}` } },
    })),
  );
  const ids = created.map((c) => c.taskId);
  for (const id of ids) expect((await f.client.tasks.wait(id, { timeoutMs: 30_000 })).status).toBe('COMPLETED');
  return ids;
}

/** Finished tasks still in the live queue (the normal lane's completed set). */
function liveCompleted(redis: Redis, f: Fleet): Promise<number> {
  return redis.zcard(`${teamPrefix(f.team)}:tasks:completed`);
}

async function archivedIds(redis: Redis, f: Fleet): Promise<string[]> {
  const entries = await redis.xrange(registryKeys.archive(f.team), '-', '+');
  return entries.map(([, fields]) => (JSON.parse(fields[1]!) as TaskView).taskId);
}

describe('retention and the archive', () => {
  it('archives the finished tasks past the retention, then removes them; the export has every one, once', async () => {
    const f = await fleet(h);
    const redis = new Redis(f.redisUrl);
    h.own(async () => {
      await redis.quit();
    });
    // A task cancelled before any bridge ran it: finished too (CANCELLED), kept as a tombstone.
    const { taskId: cancelled } = await f.client.tasks.create({ team: f.team, machine: 'm1', command: 'true' });
    expect((await f.client.tasks.cancel([cancelled]))[0]?.outcome).toBe('cancelled');
    const logger = createLogger({ name: 'test', level: 'silent' });
    const bridge: Bridge = await startBridge(faultBridge(f, 'keeper', { archiveEveryMs: 200 }), { logger });
    h.own(() => bridge.close());
    const ids = await createDone(f, 5);
    expect(await f.client.archive.setRetention(f.team, { keepCount: 2 })).toMatchObject({ keepCount: 2 });
    await waitFor('3 archived, 2 live', async () =>
      (await liveCompleted(redis, f)) === 2 && (await redis.xlen(registryKeys.archive(f.team))) === 3
        ? true
        : undefined,
    );
    // The three oldest went to the archive; list queue reads only the live queue.
    const live = (await f.client.tasks.list({ team: f.team })).filter((t) => t.status === 'COMPLETED');
    expect(live).toHaveLength(2);
    const archived = await archivedIds(redis, f);
    expect(new Set([...archived, ...live.map((t) => t.taskId)])).toEqual(new Set(ids));
    const all = await exported(f);
    expect(all.map((t) => t.taskId).sort()).toEqual([...ids, cancelled].sort());
    expect(all.find((t) => t.taskId === cancelled)?.status).toBe('CANCELLED');
    expect(all[0]).toMatchObject({
      status: 'COMPLETED',
      machine: 'm1',
      vaultData: { credentials: { token: 'string' } },
    });
    expect(all.find((t) => t.taskId === archived[0])?.output).toMatch(/^run \d\n$/);
    expect(JSON.stringify(all)).not.toContain('s3cret');
    // A finished task's age counts too: with a 1 s retention, the rest go as well, the cancelled one's tombstone too.
    await f.client.archive.setRetention(f.team, { keepFor: '1s' });
    await waitFor('all archived', async () =>
      (await liveCompleted(redis, f)) === 0 && (await redis.zcard(registryKeys.cancelledOrder(f.team))) === 0
        ? true
        : undefined,
    );
    expect(await redis.hlen(registryKeys.cancelled(f.team))).toBe(0);
    expect((await archivedIds(redis, f)).sort()).toEqual([...ids, cancelled].sort());
    // The export finds it in the archive now, once, still CANCELLED.
    const after = await exported(f);
    expect(after.map((t) => t.taskId).sort()).toEqual([...ids, cancelled].sort());
    expect(after.find((t) => t.taskId === cancelled)?.status).toBe('CANCELLED');
  }, 90_000);

  it('a bridge killed between archive and removal: nothing lost, nothing archived twice', async () => {
    const f = await fleet(h);
    const redis = new Redis(f.redisUrl);
    h.own(async () => {
      await redis.quit();
    });
    process.env.RDC_TEST_ARCHIVE_STALL = '1';
    const stalling = await startBridgeProcess(h, faultBridge(f, 'stalls', { archiveEveryMs: 200 })).finally(() => {
      delete process.env.RDC_TEST_ARCHIVE_STALL;
    });
    const ids = await createDone(f, 6);
    await f.client.archive.setRetention(f.team, { keepCount: 0 });
    // Archived and marked, still live: the archiver stalls right there.
    await waitFor('the stall after the append', () =>
      stalling.log().includes('stalled between archive and removal') ? true : undefined,
    );
    expect(await redis.hlen(registryKeys.archiveMarks(f.team))).toBe(6);
    expect(await liveCompleted(redis, f)).toBe(6);
    // Export in the middle: every task once (archived ones are not given again from the live queue).
    expect((await exported(f)).map((t) => t.taskId).sort()).toEqual([...ids].sort());
    stalling.signal('SIGKILL');
    await stalling.exited;

    const logger = createLogger({ name: 'test', level: 'silent' });
    const next = await startBridge(faultBridge(f, 'next', { archiveEveryMs: 200 }), { logger });
    h.own(() => next.close());
    await waitFor('the removals finished', async () =>
      (await liveCompleted(redis, f)) === 0 && (await redis.hlen(registryKeys.archiveMarks(f.team))) === 0
        ? true
        : undefined,
    );
    const archived = await archivedIds(redis, f);
    expect(archived).toHaveLength(6);
    expect(archived.sort()).toEqual([...ids].sort());
    expect((await exported(f)).map((t) => t.taskId).sort()).toEqual([...ids].sort());
  }, 90_000);
});
