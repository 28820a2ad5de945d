// SIGTERM with a grace period: running tasks may finish; those still running at the deadline are handed back
// (their runs go on and the next bridge re-attaches) or killed, per policy. Nothing is left PROCESSING.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdCommand, startBridgeProcess, useHarness, waitFor } from '../harness/index.js';
import { alive, faultBridge, fleet, lines } from './fleet-faults.js';

const h = useHarness();

describe('bridge shutdown (SIGTERM)', () => {
  it('hands a task still running at the end of the grace back; the next bridge re-attaches to its run', async () => {
    const f = await fleet(h);
    const dir = await h.tempDir('shutdown');
    const runs = join(dir, 'runs');
    const release = join(dir, 'release');
    const a = await startBridgeProcess(h, faultBridge(f, 'bridge-a', { shutdownGraceMs: 500 }));
    const quick = await f.client.tasks.create({ team: f.team, machine: 'm1', command: 'sleep 0.2; echo quick' });
    const long = await f.client.tasks.create({
      team: f.team,
      machine: 'm1',
      // Runs until the test lets it end, once bridge B re-attached to it: however slow B is to start.
      command: `echo $$ >> ${runs}; echo before; ${holdCommand(release, 60)}; echo after`,
    });
    await waitFor('both PROCESSING', async () => {
      const views = await Promise.all([quick, long].map((t) => f.client.tasks.inspect(t.taskId)));
      return views.every((v) => v.status === 'PROCESSING') ? true : undefined;
    });
    a.signal('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await f.client.tasks.inspect(quick.taskId)).toMatchObject({ status: 'COMPLETED', output: 'quick\n' });
    expect((await f.client.tasks.inspect(long.taskId)).status).toBe('PENDING');
    expect(a.log()).toContain('handed back');

    const b = await startBridgeProcess(h, faultBridge(f, 'bridge-b'));
    await waitFor('bridge-b to re-attach', () => (b.log().includes('re-attached') ? true : undefined));
    await writeFile(release, '');
    const done = await f.client.tasks.wait(long.taskId, { timeoutMs: 30_000 });
    expect(done).toMatchObject({ status: 'COMPLETED', output: 'before\nafter\n', bridge: 'bridge-b', retryCount: 0 });
    expect(lines(runs)).toHaveLength(1);
    expect(b.log()).toContain('re-attached');
  });

  it('with --on-shutdown kill, kills what still runs at the deadline and fails it RDC_BRIDGE_SHUTDOWN', async () => {
    const f = await fleet(h);
    const childFile = join(await h.tempDir('shutdown'), 'child');
    const a = await startBridgeProcess(h, faultBridge(f, 'bridge-a', { shutdownGraceMs: 300, onShutdown: 'kill' }));
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
    expect(await f.client.tasks.inspect(taskId)).toMatchObject({ status: 'FAILED', errorCode: 'RDC_BRIDGE_SHUTDOWN' });
    await waitFor('the command to be gone', () => (alive(child) ? undefined : true), 10_000);
  });
});
