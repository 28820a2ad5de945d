// A machine that hangs (its sshd, sessions, agent and command all SIGSTOPped) fails its running task by timeout
// and its new tasks by connect timeout, while the other machine keeps running tasks; once it is thawed, it is used
// again without restarting the bridge.
import { describe, expect, it } from 'vitest';
import { startBridgeProcess, useHarness } from '../harness/index.js';
import { faultBridge, fleet, freezeMachine } from './fleet-faults.js';

const h = useHarness();

describe('hung machine', () => {
  it('fails its tasks by timeout and connect timeout while another machine keeps working, then recovers', async () => {
    const f = await fleet(h); // m1: the machine that will hang
    const healthy = await h.machine({ host: '127.0.0.3' });
    await f.client.machines.add({
      name: 'm2',
      team: f.team,
      host: healthy.host,
      port: healthy.port,
      user: healthy.user,
      keyFile: healthy.privateKeyPath,
      hostKeyFingerprint: healthy.hostKeyFingerprint,
    });
    await startBridgeProcess(
      h,
      faultBridge(f, 'bridge-a', { batchSize: 6, connectTimeoutMs: 2_000, failFastMs: 1_000 }),
    );
    const running = await f.client.tasks.create({
      team: f.team,
      machine: 'm1',
      command: 'echo started; sleep 30',
      timeout: 2,
    });
    await f.client.tasks.wait((await f.client.tasks.create({ team: f.team, machine: 'm1', command: 'true' })).taskId, {
      timeoutMs: 20_000,
    });
    freezeMachine(f.machine.sshd.pid, 'SIGSTOP');
    try {
      const stuck = await f.client.tasks.createMany(
        Array.from({ length: 3 }, () => ({ team: f.team, machine: 'm1', command: 'echo never' })),
      );
      const others = await f.client.tasks.createMany(
        Array.from({ length: 30 }, (_, i) => ({ team: f.team, machine: 'm2', command: `echo ${i}` })),
      );
      // Everything below settles while m1 is still frozen.
      const done = await Promise.all(others.map((t) => f.client.tasks.wait(t.taskId, { timeoutMs: 60_000 })));
      expect(done.map((v) => v.status)).toEqual(Array(30).fill('COMPLETED'));
      const timedOut = await f.client.tasks.wait(running.taskId, { timeoutMs: 60_000 });
      expect(timedOut).toMatchObject({ status: 'FAILED', errorCode: 'RDC_TIMEOUT', error: 'timed out after 2s' });
      const refused = await Promise.all(stuck.map((t) => f.client.tasks.wait(t.taskId, { timeoutMs: 60_000 })));
      for (const view of refused)
        expect(view, view.error ?? '').toMatchObject({ status: 'FAILED', errorCode: 'RDC_SSH_CONNECT' });
    } finally {
      freezeMachine(f.machine.sshd.pid, 'SIGCONT');
    }
    // Right after the thaw the bridge may still fail fast from the connects that just timed out: a retry covers it.
    const back = await f.client.tasks.create({
      team: f.team,
      machine: 'm1',
      command: 'echo back',
      maxRetries: 3,
      retryDelay: 1,
    });
    const view = await f.client.tasks.wait(back.taskId, { timeoutMs: 30_000 });
    expect(view, view.error ?? '').toMatchObject({ status: 'COMPLETED', output: 'back\n' });
  });
});
