// Recovery with BullMQ's default lock settings (lockDuration 30 s, stalled check every 30 s), not the 2 s locks of
// the other fault tests: a bridge killed with SIGKILL mid-task is replaced by another that finishes the task once.
// Slow by nature (up to about a minute), bounded, and run once.
import { join } from 'node:path';
import { teamPrefix } from '@rediacc/core';
import { describe, expect, it } from 'vitest';
import { startBridgeProcess, useHarness, waitFor } from '../harness/index.js';
import { faultBridge, fleet, lines } from './fleet-faults.js';

const h = useHarness();
/** BullMQ's Worker defaults (worker.ts: lockDuration 30000, stalledInterval 30000). */
const BULLMQ_DEFAULT_LOCKS = { lockDurationMs: 30_000, stalledIntervalMs: 30_000 };

describe('bridge crash with default lock settings', () => {
  it('another bridge finishes the task of a bridge killed with SIGKILL, once', { timeout: 180_000 }, async () => {
    const f = await fleet(h);
    const runs = join(await h.tempDir('lock-defaults'), 'runs');
    const a = await startBridgeProcess(h, faultBridge(f, 'bridge-a', BULLMQ_DEFAULT_LOCKS));
    const { taskId } = await f.client.tasks.create({
      team: f.team,
      machine: 'm1',
      command: `echo $$ >> ${runs}; echo before; sleep 5; echo after`,
    });
    await waitFor('bridge-a to run the task', async () => {
      const view = await f.client.tasks.inspect(taskId);
      return view.status === 'PROCESSING' && view.bridge === 'bridge-a' ? true : undefined;
    });
    const b = await startBridgeProcess(h, faultBridge(f, 'bridge-b', BULLMQ_DEFAULT_LOCKS));
    a.signal('SIGKILL');
    await a.exited;
    const killedAt = Date.now();
    // The lock expires after 30 s and a stalled check runs every 30 s: the task moves on within about a minute.
    const done = await f.client.tasks.wait(taskId, { timeoutMs: 150_000 });
    expect(done).toMatchObject({ status: 'COMPLETED', exitCode: 0, bridge: 'bridge-b', output: 'before\nafter\n' });
    // One finished try: the stall is not counted as a failed attempt.
    expect(await f.client.redis.hget(`${teamPrefix(f.team)}:tasks:${taskId}`, 'atm')).toBe('1');
    expect(lines(runs)).toHaveLength(1);
    expect(b.log()).toMatch(/collected the result of a run that ended on the machine|re-attached to the run/);
    console.info(`default locks: the task of a killed bridge finished on another after ${Date.now() - killedAt} ms`);
  });
});
