// Capacity held by a bridge that died (SIGKILL) or froze (SIGSTOP) comes back: a machine slot is a lease that
// expires when its holder stops renewing it, and the critical lane's permits live in the bridge's process, so they
// die with it. Locks here are long (30 s): the stuck task is not taken over meanwhile, so what frees the slot is
// the lease running out, not a takeover.
import { join } from 'node:path';
import { registryKeys } from '@rediacc/core';
import { machineSlotHolders, slotWaiters } from '@rediacc/queue';
import { describe, expect, it } from 'vitest';
import { holdCommand, startBridgeProcess, useHarness, waitFor } from '../harness/index.js';
import { type Fleet, faultBridge, fleet, lines } from './fleet-faults.js';

const h = useHarness();
const LONG_LOCKS = { lockDurationMs: 30_000, stalledIntervalMs: 30_000 };
const slotted = (f: Fleet, name: string) =>
  faultBridge(f, name, { ...LONG_LOCKS, maxPerMachine: 1, machineSlotLeaseMs: 3_000 });

async function processingOn(f: Fleet, taskId: string, bridge: string) {
  return waitFor(`task ${taskId} PROCESSING on ${bridge}`, async () => {
    const view = await f.client.tasks.inspect(taskId);
    return view.status === 'PROCESSING' && view.bridge === bridge ? view : undefined;
  });
}

describe('capacity of a dead or frozen bridge', () => {
  it.each(['SIGKILL', 'SIGSTOP'] as const)(
    'the machine slot of a bridge stopped with %s comes back to other tasks once its lease runs out',
    async (signal) => {
      const f = await fleet(h);
      const runs = join(await h.tempDir('slot-recovery'), 'runs');
      const a = await startBridgeProcess(h, slotted(f, 'bridge-a'));
      const first = await f.client.tasks.create({
        team: f.team,
        machine: 'm1',
        command: `echo $$ >> ${runs}; sleep 2; echo first`,
      });
      await processingOn(f, first.taskId, 'bridge-a');
      expect(await machineSlotHolders(f.client.redis, f.team, 'm1')).toEqual([first.taskId]);
      a.signal(signal);
      const b = await startBridgeProcess(h, slotted(f, 'bridge-b'));
      const second = await f.client.tasks.create({ team: f.team, machine: 'm1', command: 'echo second' });
      const done = await f.client.tasks.wait(second.taskId, { timeoutMs: 30_000 });
      expect(done).toMatchObject({ status: 'COMPLETED', bridge: 'bridge-b', output: 'second\n' });
      // Still A's (its 30 s lock has not run out): the slot came back by its lease, not by a takeover.
      expect(await f.client.tasks.inspect(first.taskId)).toMatchObject({ status: 'PROCESSING', bridge: 'bridge-a' });
      expect(b.log()).not.toContain(first.taskId);
      if (signal === 'SIGSTOP') {
        // Thawed within its lock, A still holds the task: it takes a slot again and finishes it, once.
        a.signal('SIGCONT');
        const firstDone = await f.client.tasks.wait(first.taskId, { timeoutMs: 30_000 });
        expect(firstDone).toMatchObject({ status: 'COMPLETED', bridge: 'bridge-a', output: 'first\n' });
        expect(lines(runs)).toHaveLength(1);
        await waitFor('the machine slots to be free', async () =>
          (await machineSlotHolders(f.client.redis, f.team, 'm1')).length === 0 ? true : undefined,
        );
      }
    },
  );

  it('a task parked for the slot of a bridge then SIGKILLed starts once the lease runs out, with no release to wake it', async () => {
    const f = await fleet(h);
    // The parked task's safety net (1 s) finds the slot once the dead holder's lease (3 s) has run out.
    const parkedBridge = (name: string) =>
      faultBridge(f, name, { ...LONG_LOCKS, maxPerMachine: 1, machineSlotLeaseMs: 3_000, parkedCheckMs: 1_000 });
    const a = await startBridgeProcess(h, parkedBridge('bridge-a'));
    const first = await f.client.tasks.create({ team: f.team, machine: 'm1', command: 'sleep 20; echo first' });
    await processingOn(f, first.taskId, 'bridge-a');
    const b = await startBridgeProcess(h, parkedBridge('bridge-b'));
    const second = await f.client.tasks.create({ team: f.team, machine: 'm1', command: 'echo second' });
    await waitFor('the second task to be parked', async () =>
      (await slotWaiters(f.client.redis, registryKeys.machineWaiters(f.team, 'm1'))).includes(second.taskId)
        ? true
        : undefined,
    );
    a.signal('SIGKILL');
    await a.exited;
    const done = await f.client.tasks.wait(second.taskId, { timeoutMs: 30_000 });
    expect(done).toMatchObject({ status: 'COMPLETED', output: 'second\n' });
    // The dead bridge's task still waits for its 30 s lock: the slot came back by its lease alone.
    expect(await f.client.tasks.inspect(first.taskId)).toMatchObject({ status: 'PROCESSING', bridge: 'bridge-a' });
    expect(b.log()).not.toContain(first.taskId);
  });

  it("a P1 task runs on another bridge at once while a dead bridge's critical permit is gone with it", async () => {
    const f = await fleet(h);
    const stop = join(await h.tempDir('slot-recovery'), 'stop');
    const a = await startBridgeProcess(
      h,
      faultBridge(f, 'bridge-a', { ...LONG_LOCKS, batchSize: 1, criticalSlots: 1 }),
    );
    const held = await f.client.tasks.create({ team: f.team, machine: 'm1', priority: 1, command: holdCommand(stop) });
    await processingOn(f, held.taskId, 'bridge-a');
    const b = await startBridgeProcess(
      h,
      faultBridge(f, 'bridge-b', { ...LONG_LOCKS, batchSize: 1, criticalSlots: 1 }),
    );
    a.signal('SIGKILL');
    await a.exited;
    const urgent = await f.client.tasks.create({ team: f.team, machine: 'm1', priority: 1, command: 'echo urgent' });
    const done = await f.client.tasks.wait(urgent.taskId, { timeoutMs: 30_000 });
    expect(done).toMatchObject({ status: 'COMPLETED', bridge: 'bridge-b', output: 'urgent\n' });
    // The held P1 still waits for its dead bridge's 30 s lock: nothing fleet-wide kept the urgent one waiting.
    expect(await f.client.tasks.inspect(held.taskId)).toMatchObject({ status: 'PROCESSING', bridge: 'bridge-a' });
    expect(b.log()).not.toContain(held.taskId);
  });
});
