// Redis behind Sentinel (issue 14): 1 master, 1 replica, 1 sentinel on loopback. The master is killed (SIGKILL)
// while a bridge process runs a task and a producer keeps creating tasks; the sentinel promotes the replica, the
// bridge and the producer follow it by themselves (they only know the sentinel), the running task ends, new tasks
// complete. Replication is asynchronous: a create acknowledged by the old master in the moment before the kill may
// not have reached the replica. The test measures that window and prints it; README documents it.
import { join } from 'node:path';
import { formatRedisTarget } from '@rediacc/core';
import { describe, expect, it } from 'vitest';
import { startBridgeProcess, useHarness, waitFor } from '../harness/index.js';
import { startRedisSentinelSet } from '../harness/redis-cluster.js';
import { faultBridge, fleet, lines } from './fleet-faults.js';

const h = useHarness();

describe('Sentinel failover', () => {
  it('the fleet follows the new master; only creates acknowledged just before the kill can be lost', async () => {
    const set = await startRedisSentinelSet(h);
    const target = formatRedisTarget({
      kind: 'sentinel',
      sentinels: [{ host: '127.0.0.1', port: set.sentinel.port }],
      name: set.name,
      sentinelPassword: set.password,
      password: set.password,
    });
    const f = await fleet(h, target);
    const ran = join(await h.tempDir('sentinel'), 'ran');
    const spec = (i: number, command = 'true') => ({
      team: f.team,
      machine: 'm1',
      command: `${command}; echo ${i} >> ${ran}`,
    });
    await startBridgeProcess(h, faultBridge(f, 'bridge-s', { lockDurationMs: 4_000, stalledIntervalMs: 1_000 }));
    const before = await f.client.tasks.createMany(Array.from({ length: 10 }, (_, i) => spec(i)));
    const running = await f.client.tasks.create(spec(10, 'sleep 3'));
    await waitFor('the long task to run', async () =>
      (await f.client.tasks.inspect(running.taskId)).status === 'PROCESSING' ? true : undefined,
    );

    // A producer that creates one task at a time; a create counts once Redis acknowledged it.
    const acknowledged: { taskId: string; at: number }[] = [];
    let refused = 0;
    let stop = false;
    const producing = (async () => {
      for (let i = 100; !stop; i++) {
        try {
          const { taskId } = await f.client.tasks.create(spec(i));
          acknowledged.push({ taskId, at: Date.now() });
        } catch {
          refused++;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();
    await waitFor('the producer to get going', () => (acknowledged.length >= 5 ? true : undefined));
    const killedAt = Date.now();
    await set.master.kill9();

    const sentinel = await set.admin(set.sentinel.port);
    await waitFor(
      'the sentinel to promote the replica',
      async () => {
        const [, port] = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', set.name)) as [string, string];
        return Number(port) === set.replica.port ? true : undefined;
      },
      30_000,
      200,
    );
    const promotedAt = Date.now();
    await waitFor('creates to succeed on the new master', () =>
      acknowledged.some((a) => a.at > promotedAt) ? true : undefined,
    );
    stop = true;
    await producing;

    // Every task: done on the new master, or gone (acknowledged by the old master, never replicated).
    const all = [
      ...before.map((t) => ({ taskId: t.taskId, at: 0 })),
      { taskId: running.taskId, at: 0 },
      ...acknowledged,
    ];
    const lost: { taskId: string; at: number }[] = [];
    for (const task of all) {
      try {
        const view = await f.client.tasks.wait(task.taskId, { timeoutMs: 30_000 });
        expect(view.status, task.taskId).toBe('COMPLETED');
      } catch (error) {
        if (!String(error).includes('RDC_TASK_UNKNOWN')) throw error;
        lost.push(task);
      }
    }
    const lostAges = lost.map((t) => killedAt - t.at);
    const lastBefore = Math.max(...acknowledged.filter((a) => a.at <= killedAt).map((a) => a.at));
    console.log(
      `failover: sentinel promoted the replica ${promotedAt - killedAt} ms after the kill; ` +
        `${acknowledged.length} creates acknowledged during the run, ${refused} refused while no master answered; ` +
        `the last one before the kill ${killedAt - lastBefore} ms before it; ` +
        `${lost.length} acknowledged but lost, acknowledged ${JSON.stringify(lostAges)} ms before the kill`,
    );
    // What can be lost is only the tail: creates acknowledged in the last moment before the kill.
    for (const age of lostAges) expect(age).toBeLessThan(1_000);
    expect(lost.map((t) => t.taskId)).not.toContain(running.taskId);
    // The tasks from before the run, and the one running across the failover, ran (the latter at most twice).
    const ranIds = lines(ran);
    for (let i = 0; i <= 9; i++) expect(ranIds.filter((l) => l === String(i))).toHaveLength(1);
    expect(ranIds.filter((l) => l === '10').length).toBeGreaterThanOrEqual(1);
    expect(ranIds.filter((l) => l === '10').length).toBeLessThanOrEqual(2);
    expect(acknowledged.filter((a) => a.at > promotedAt).length).toBeGreaterThan(0);
  }, 120_000);
});
