// Cancelling a running task: the canceller does not know which bridge holds it; the holder hears the broadcast,
// kills the run's whole process tree on the machine, and the task becomes CANCELLED.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBridgeProcess, useHarness, waitFor } from '../harness/index.js';
import { alive, faultBridge, fleet, freezeMachine } from './fleet-faults.js';

const h = useHarness();

describe('cancel a running task', () => {
  it('kills the command on its machine, whichever of two bridge processes holds it', async () => {
    const f = await fleet(h);
    const dir = await h.tempDir('cancel');
    await startBridgeProcess(h, faultBridge(f, 'bridge-a'));
    await startBridgeProcess(h, faultBridge(f, 'bridge-b'));
    const childFile = join(dir, 'child');
    const { taskId } = await f.client.tasks.create({
      team: f.team,
      machine: 'm1',
      command: `sleep 300 & echo $! > ${childFile}; echo started; wait`,
      maxRetries: 3, // a cancel is never retried
    });
    const child = await waitFor('the grandchild to start', async () => {
      const view = await f.client.tasks.inspect(taskId);
      const pid = Number(readFileSync(childFile, { encoding: 'utf8', flag: 'a+' }).trim());
      return view.status === 'PROCESSING' && pid > 1 ? pid : undefined;
    });

    const askedAt = Date.now();
    const [result] = await f.client.tasks.cancel([taskId]);
    const tookMs = Date.now() - askedAt;
    expect(result).toEqual({ taskId, outcome: 'cancelled', status: 'CANCELLED' });
    const view = await f.client.tasks.inspect(taskId);
    expect(view).toMatchObject({ status: 'CANCELLED', errorCode: 'RDC_CANCELLED', attempts: 1 });
    expect(view.error).toContain('cancelled while running');
    expect(view.output).toContain('started');
    await waitFor('the grandchild to be gone', () => (alive(child) ? undefined : true), 10_000);
    console.info(`cancel of a running task → CANCELLED in ${tookMs} ms`);

    // Cancelling again, or a finished task, changes nothing.
    expect((await f.client.tasks.cancel([taskId]))[0]?.outcome).toBe('finished');
  });

  it('cancels an ASSIGNED task whose machine hangs while it connects; the command never runs', async () => {
    const f = await fleet(h);
    const marker = join(await h.tempDir('cancel'), 'ran');
    await startBridgeProcess(h, faultBridge(f, 'bridge-a', { connectTimeoutMs: 20_000 }));
    freezeMachine(f.machine.sshd.pid, 'SIGSTOP');
    try {
      const { taskId } = await f.client.tasks.create({
        team: f.team,
        machine: 'm1',
        command: `: > ${marker}`,
        maxRetries: 3,
      });
      await waitFor('ASSIGNED', async () =>
        (await f.client.tasks.inspect(taskId)).status === 'ASSIGNED' ? true : undefined,
      );
      const askedAt = Date.now();
      const [result] = await f.client.tasks.cancel([taskId]);
      const tookMs = Date.now() - askedAt;
      expect(result).toEqual({ taskId, outcome: 'cancelled', status: 'CANCELLED' });
      expect(await f.client.tasks.inspect(taskId)).toMatchObject({ status: 'CANCELLED', attempts: 1 });
      console.info(`cancel of an ASSIGNED task (machine hung) → CANCELLED in ${tookMs} ms`);
    } finally {
      freezeMachine(f.machine.sshd.pid, 'SIGCONT');
    }
    // Once the machine answers again, the connection the bridge was opening goes through: the command must not run.
    const after = await f.client.tasks.create({ team: f.team, machine: 'm1', command: 'echo later' });
    expect((await f.client.tasks.wait(after.taskId, { timeoutMs: 30_000 })).status).toBe('COMPLETED');
    expect(existsSync(marker)).toBe(false);
  });

  it('cancels a task handed back while its run goes on, once a bridge holds it again', async () => {
    const f = await fleet(h);
    const dir = await h.tempDir('cancel');
    const childFile = join(dir, 'child');
    const a = await startBridgeProcess(h, faultBridge(f, 'bridge-a', { shutdownGraceMs: 200 }));
    const { taskId } = await f.client.tasks.create({
      team: f.team,
      machine: 'm1',
      command: `sleep 300 & echo $! > ${childFile}; wait`,
    });
    const child = await waitFor('PROCESSING', async () => {
      const pid = Number(readFileSync(childFile, { encoding: 'utf8', flag: 'a+' }).trim());
      return (await f.client.tasks.inspect(taskId)).status === 'PROCESSING' && pid > 1 ? pid : undefined;
    });
    a.signal('SIGTERM');
    expect(await a.exited).toBe(0);
    expect((await f.client.tasks.inspect(taskId)).status).toBe('PENDING');
    expect(alive(child)).toBe(true); // handed back: the run goes on

    // No bridge holds it: the cancel is recorded and waits for one.
    const [asked] = await f.client.tasks.cancel([taskId], { waitMs: 300 });
    expect(asked?.outcome).toBe('requested');
    await startBridgeProcess(h, faultBridge(f, 'bridge-b'));
    const view = await f.client.tasks.wait(taskId, { timeoutMs: 30_000 });
    expect(view.status).toBe('CANCELLED');
    await waitFor('the grandchild to be gone', () => (alive(child) ? undefined : true), 10_000);
  });
});
