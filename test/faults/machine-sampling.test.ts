// Sampling a machine that hangs (its sshd, sessions and agent SIGSTOPped): the sample in flight times out and is
// recorded as the machine's last error with `unreachableSince`, no second sample of that machine starts while one
// is in flight, and once the machine is thawed the next sample clears `unreachableSince`.
import { startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { describe, expect, it } from 'vitest';
import { useHarness, waitFor } from '../harness/index.js';
import { fleet, freezeMachine } from './fleet-faults.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const h = useHarness();

describe('machine sampling', () => {
  it('records a hung machine as unreachable with one sample in flight, and clears it once it answers', async () => {
    const f = await fleet(h);
    const bridge = await startBridge(
      {
        redisUrl: f.redisUrl,
        teams: [f.team],
        keysDir: f.keysDir,
        name: 'b-sampler',
        sampleIntervalMs: 100,
        connectTimeoutMs: 1_500,
      },
      { logger },
    );
    h.own(() => bridge.close({ graceMs: 0 }));
    const status = async () => (await f.client.machines.status(f.team)).get('m1');
    const { taskId } = await f.client.tasks.create({ team: f.team, machine: 'm1', command: 'true' });
    expect((await f.client.tasks.wait(taskId, { timeoutMs: 20_000 })).status).toBe('COMPLETED');
    const first = await waitFor('a first sample', async () => ((await status())?.sampledAt ? status() : undefined));
    expect(first?.unreachableSince).toBeNull();
    expect(first?.memTotalBytes).toBeGreaterThan(0);

    freezeMachine(f.machine.sshd.pid, 'SIGSTOP');
    let frozenAt: number;
    try {
      // Let the sample that is in flight now (or the next) hang; however often sampling is asked for, no second
      // sample of the machine starts while it hangs.
      await waitFor('a sample in flight', async () => (bridge.sampler.samplesInFlight === 1 ? true : undefined));
      const startedBefore = bridge.sampler.samplesStarted;
      for (let i = 0; i < 5; i++) void bridge.sampler.sampleAll();
      expect(bridge.sampler.samplesStarted).toBe(startedBefore);
      expect(bridge.sampler.samplesInFlight).toBe(1);
      const hung = await waitFor('the hung sample recorded as a failure', async () => {
        const s = await status();
        return s?.unreachableSince ? s : undefined;
      });
      expect(hung.lastError).toMatchObject({ code: 'RDC_SSH_COMMAND' });
      expect(hung.lastError?.message).toMatch(/no answer within 1\.5s/);
      // The failure keeps the last good sample: the first one, or one that ended between that read and the freeze
      // (samples run every 100 ms), never one taken while the machine hung.
      expect(hung.sampledAt).toBeGreaterThanOrEqual(first?.sampledAt ?? Number.POSITIVE_INFINITY);
      expect(hung.sampledAt).toBeLessThan(hung.unreachableSince ?? -1);
      expect(hung.memTotalBytes).toBe(first?.memTotalBytes);
      frozenAt = Date.now();
    } finally {
      freezeMachine(f.machine.sshd.pid, 'SIGCONT');
    }
    const back = await waitFor('a sample after the thaw', async () => {
      const s = await status();
      return s && s.unreachableSince === null && (s.sampledAt ?? 0) > frozenAt ? s : undefined;
    });
    expect(back.lastError?.code).toBe('RDC_SSH_COMMAND');
    expect(back.load1).toBeGreaterThanOrEqual(0);
  });
});
