// Timeouts kill the command on the machine, its whole process tree, not just the SSH channel.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { createClient } from '@rediacc/producer';
import { describe, expect, it } from 'vitest';
import { addTeamWithMachine, useHarness } from '../harness/index.js';
import { alive } from '../harness/signals.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const h = useHarness();
const teamKeys: Record<string, string> = {};

describe('timeout', () => {
  it('kills the remote process tree and fails the task with "timed out after Ns"', async () => {
    const redis = await h.redis();
    const machine = await h.machine();
    const dir = await h.tempDir('timeout-');
    const pidFile = join(dir, 'child.pid');
    const client = createClient({ redis: redis.url });
    Object.assign(teamKeys, await addTeamWithMachine(client, 'to', machine));
    const bridge = await startBridge({ teamKeys, redisUrl: redis.url, teams: ['to'], batchSize: 2 }, { logger });
    try {
      const { taskId } = await client.tasks.create({
        team: 'to',
        machine: 'm1',
        command: `sleep 300 & echo $! > ${pidFile}; echo started; wait`,
        timeout: 1,
      });
      const view = await client.tasks.wait(taskId, { timeoutMs: 20_000 });
      expect(view).toMatchObject({ status: 'FAILED', errorCode: 'RDC_TIMEOUT', error: 'timed out after 1s' });
      expect(view.output).toContain('started');
      // The machine is this host: the grandchild `sleep 300` must be gone (TERM at once, KILL after the grace).
      const pid = Number((await readFile(pidFile, 'utf8')).trim());
      expect(pid).toBeGreaterThan(1);
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
      expect(alive(pid)).toBe(false);

      // Commands still run in the user's login shell (bash here), not a bare sh.
      const brace = await client.tasks.create({ team: 'to', machine: 'm1', command: 'echo {1..3}' });
      const done = await client.tasks.wait(brace.taskId, { timeoutMs: 20_000 });
      expect(done.output?.trim()).toBe(process.env.SHELL?.endsWith('bash') !== false ? '1 2 3' : '{1..3}');
    } finally {
      await bridge.close();
      await client.close();
    }
  });
});
