// "Runs once" survives a bridge that lost its lock: bridge A is frozen (SIGSTOP: a long GC pause, a VM migration)
// past its lock while it runs a task, bridge B takes the stalled task over, re-attaches to the run and finishes it,
// then A wakes (SIGCONT). A must not start the command again, must not write over what B wrote (result, lifecycle,
// attempts), must not release a machine slot it no longer owns, and must log that it lost the task.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { teamPrefix } from '@rediacc/core';
import { machineSlotHolders } from '@rediacc/queue';
import { describe, expect, it } from 'vitest';
import { holdCommand, startBridgeProcess, useHarness, waitFor } from '../harness/index.js';
import { type Fleet, faultBridge, fleet, lines, runDir } from './fleet-faults.js';

const h = useHarness();
const LOST = 'lost the task';

async function statusOn(f: Fleet, taskId: string, status: string, bridge: string) {
  return waitFor(`task ${taskId} ${status} on ${bridge}`, async () => {
    const view = await f.client.tasks.inspect(taskId);
    return view.status === status && view.bridge === bridge ? view : undefined;
  });
}

/** The task's BullMQ job hash: every field a bridge writes (progress, returnvalue, finishedOn, attempts…). */
function jobHash(f: Fleet, taskId: string) {
  return f.client.redis.hgetall(`${teamPrefix(f.team)}:tasks:${taskId}`);
}

/** One bridge per machine slot, so a slot released by the wrong bridge shows. */
const slotted = (f: Fleet, name: string) => faultBridge(f, name, { maxPerMachine: 1, machineSlotLeaseMs: 3_000 });

describe('bridge lock loss', () => {
  it('a bridge woken after another finished its task writes nothing, runs nothing and keeps its hands off the slot', async () => {
    const f = await fleet(h);
    const dir = await h.tempDir('lock-loss');
    const runs = join(dir, 'runs');
    const ran = join(dir, 'ran');
    const a = await startBridgeProcess(h, slotted(f, 'bridge-a'));
    const { taskId } = await f.client.tasks.create({
      team: f.team,
      machine: 'm1',
      // Runs until B has taken over (about 3 s after the freeze with 2 s locks), however slow the box.
      command: `echo $$ >> ${runs}; echo before; ${holdCommand(ran, 60)}; echo after`,
    });
    await statusOn(f, taskId, 'PROCESSING', 'bridge-a');
    const b = await startBridgeProcess(h, slotted(f, 'bridge-b'));
    a.signal('SIGSTOP');
    await statusOn(f, taskId, 'PROCESSING', 'bridge-b');
    await writeFile(ran, '');
    const done = await f.client.tasks.wait(taskId, { timeoutMs: 30_000 });
    expect(done).toMatchObject({ status: 'COMPLETED', exitCode: 0, bridge: 'bridge-b', output: 'before\nafter\n' });
    const written = await jobHash(f, taskId);
    expect(written.finishedOn).toBeDefined();
    expect(written.returnvalue).toBeDefined();
    expect(written.atm).toBe('1');

    // Another task holds the machine's only slot now (on B), while A wakes up.
    const stop = join(dir, 'stop');
    const next = await f.client.tasks.create({ team: f.team, machine: 'm1', command: holdCommand(stop) });
    await statusOn(f, next.taskId, 'PROCESSING', 'bridge-b');
    expect(await machineSlotHolders(f.client.redis, f.team, 'm1')).toEqual([next.taskId]);
    a.signal('SIGCONT');
    await waitFor('bridge-a to log that it lost the task', () => (a.log().includes(LOST) ? true : undefined));

    expect(await jobHash(f, taskId)).toEqual(written);
    expect(lines(runs)).toHaveLength(1);
    expect(await machineSlotHolders(f.client.redis, f.team, 'm1')).toEqual([next.taskId]);
    expect(a.log()).not.toContain('task try failed');
    expect(b.log()).toContain('re-attached to the run on the machine');
    expect(b.log()).not.toContain('starting it again');
    const inspected = await f.client.tasks.inspect(taskId);
    expect(inspected).toMatchObject({
      status: 'COMPLETED',
      bridge: 'bridge-b',
      exitCode: 0,
      output: 'before\nafter\n',
    });
    await writeFile(stop, '');
    expect(await f.client.tasks.wait(next.taskId, { timeoutMs: 30_000 })).toMatchObject({ status: 'COMPLETED' });
  });

  it('a bridge woken while another runs its task lets go: no second run, no write, the slot stays with the new holder', async () => {
    const f = await fleet(h);
    const dir = await h.tempDir('lock-loss');
    const runs = join(dir, 'runs');
    const stop = join(dir, 'stop');
    const a = await startBridgeProcess(h, slotted(f, 'bridge-a'));
    const { taskId } = await f.client.tasks.create({
      team: f.team,
      machine: 'm1',
      command: `echo $$ >> ${runs}; echo before; ${holdCommand(stop, 60)}; echo after`,
    });
    await statusOn(f, taskId, 'PROCESSING', 'bridge-a');
    const b = await startBridgeProcess(h, slotted(f, 'bridge-b'));
    a.signal('SIGSTOP');
    await statusOn(f, taskId, 'PROCESSING', 'bridge-b');
    const progress = (await jobHash(f, taskId)).progress;
    a.signal('SIGCONT');
    await waitFor('bridge-a to log that it lost the task', () => (a.log().includes(LOST) ? true : undefined));

    // B's run goes on, B's slot and B's lifecycle fields stay.
    expect(await machineSlotHolders(f.client.redis, f.team, 'm1')).toEqual([taskId]);
    expect((await jobHash(f, taskId)).progress).toBe(progress);
    expect(existsSync(join(runDir(), `${taskId}.pid`))).toBe(true);
    await writeFile(stop, '');
    const done = await f.client.tasks.wait(taskId, { timeoutMs: 30_000 });
    expect(done).toMatchObject({ status: 'COMPLETED', exitCode: 0, bridge: 'bridge-b', output: 'before\nafter\n' });
    expect(lines(runs)).toHaveLength(1);
    expect((await jobHash(f, taskId)).atm).toBe('1');
    expect(b.log()).toContain('re-attached to the run on the machine');
    expect(a.log()).not.toContain('task try failed');
  });
});
