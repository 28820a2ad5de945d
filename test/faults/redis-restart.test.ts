// Redis killed (SIGKILL) and restarted with its append-only file (appendfsync always): no created task is lost,
// and the bridge (another process) and the producer reconnect by themselves and finish the queue.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBridgeProcess, useHarness, waitFor } from '../harness/index.js';
import { faultBridge, fleet, lines } from './fleet-faults.js';

const h = useHarness();

describe('Redis restart', () => {
  it('loses no task, runs each once, and everyone reconnects without help', async () => {
    const redis = await h.redis({ appendOnly: true, appendFsync: 'always' });
    const f = await fleet(h, redis.url);
    const ran = join(await h.tempDir('redis-restart'), 'ran');
    const spec = (i: number) => ({ team: f.team, machine: 'm1', command: `sleep 0.2; echo ${i} >> ${ran}; echo ${i}` });
    await startBridgeProcess(h, faultBridge(f, 'bridge-a'));
    const before = await f.client.tasks.createMany(Array.from({ length: 20 }, (_, i) => spec(i)));
    await waitFor('a few tasks to have run', () => (lines(ran).length >= 3 ? true : undefined));

    redis.kill('SIGKILL');
    // Down for a while, as a real crash is: the bridge's commands fail and its connection retries meanwhile.
    await new Promise((r) => setTimeout(r, 2_000));
    await redis.restart();
    const after = await f.client.tasks.createMany(Array.from({ length: 10 }, (_, i) => spec(20 + i)));

    const views = await Promise.all(
      [...before, ...after].map((t) => f.client.tasks.wait(t.taskId, { timeoutMs: 60_000 })),
    );
    expect(views.map((v) => v.status)).toEqual(Array(30).fill('COMPLETED'));
    const counts = new Map<string, number>();
    for (const line of lines(ran)) counts.set(line, (counts.get(line) ?? 0) + 1);
    expect(counts.size).toBe(30);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });
});
