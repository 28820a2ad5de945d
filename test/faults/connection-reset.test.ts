// The SSH connection of a running task is reset (every sshd process serving it killed with SIGKILL, the
// listener left up): the bridge reconnects and re-attaches to the run, which goes on on the machine, so the
// command runs once and its output is whole. A lost connection is not a retry.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBridgeProcess, useHarness, waitFor } from '../harness/index.js';
import { signalProcess } from '../harness/signals.js';
import { descendants, faultBridge, fleet, lines } from './fleet-faults.js';

const h = useHarness();

function sshdSessions(listener: number | undefined): number[] {
  return descendants(listener, "the machine's sshd").filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sshd';
    } catch {
      return false;
    }
  });
}

describe('connection reset', () => {
  it('re-attaches to the run over a new connection: one run, all its output, no retry used', async () => {
    const f = await fleet(h);
    const listener = f.machine.sshd.pid;
    const runs = join(await h.tempDir('reset'), 'runs');
    const bridge = await startBridgeProcess(h, faultBridge(f, 'bridge-a'));
    const { taskId } = await f.client.tasks.create({
      team: f.team,
      machine: 'm1',
      command: `echo $$ >> ${runs}; echo before; sleep 3; echo after`,
      maxRetries: 2,
    });
    await waitFor('the command to run', async () =>
      (await f.client.tasks.inspect(taskId)).status === 'PROCESSING' && lines(runs).length === 1 ? true : undefined,
    );
    const sessions = sshdSessions(listener);
    expect(sessions.length).toBeGreaterThan(0);
    for (const pid of sessions) signalProcess(pid, 'SIGKILL', 'an sshd session');

    const done = await f.client.tasks.wait(taskId, { timeoutMs: 30_000 });
    expect(done, done.error ?? '').toMatchObject({ status: 'COMPLETED', exitCode: 0, attempts: 1, retryCount: 2 });
    expect(done.output).toBe('before\nafter\n');
    expect(lines(runs)).toHaveLength(1);
    expect(bridge.log()).toContain('SSH connection lost during the run: reconnecting to re-attach');
  });
});
