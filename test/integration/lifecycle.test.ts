// States that need a fault to be seen, and what Redis holds of a task's vault data.
import { startBridge } from '@rediacc/bridge';
import { createLogger, type TaskStatus } from '@rediacc/core';
import { createClient } from '@rediacc/producer';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { addTeamWithMachine, useHarness } from '../harness/index.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const h = useHarness();
const teamKeys: Record<string, string> = {};

async function setUp(team: string) {
  const redis = await h.redis();
  const machine = await h.machine();
  const client = createClient({ redis: redis.url });
  Object.assign(teamKeys, await addTeamWithMachine(client, team, machine));
  return { redis, machine, client };
}

async function until(read: () => Promise<TaskStatus>, want: TaskStatus, timeoutMs = 10_000): Promise<TaskStatus[]> {
  const seen: TaskStatus[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await read();
    if (seen.at(-1) !== status) seen.push(status);
    if (status === want) return seen;
    if (Date.now() > deadline) throw new Error(`never reached ${want}; saw ${seen.join(' → ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('lifecycle', () => {
  it('shows ASSIGNED while the bridge is still connecting to a frozen machine, then COMPLETED once it resumes', async () => {
    const { redis, machine, client } = await setUp('frozen');
    machine.sshd.kill('SIGSTOP');
    const { taskId } = await client.tasks.create({ team: 'frozen', machine: 'm1', command: 'echo thawed' });
    const read = async () => (await client.tasks.inspect(taskId)).status;
    expect(await read()).toBe('PENDING');
    const bridge = await startBridge({ teamKeys, redisUrl: redis.url, teams: ['frozen'], batchSize: 2 }, { logger });
    try {
      await until(read, 'ASSIGNED');
      // Frozen sshd: the TCP handshake completes but no banner comes, so the task cannot start.
      await new Promise((r) => setTimeout(r, 300));
      expect(await read()).toBe('ASSIGNED');
      machine.sshd.kill('SIGCONT');
      const done = await client.tasks.wait(taskId, { timeoutMs: 20_000 });
      expect(done.status).toBe('COMPLETED');
      expect(done.output).toContain('thawed');
    } finally {
      machine.sshd.kill('SIGCONT');
      await bridge.close();
      await client.close();
    }
  });

  it('keeps vault data sealed: inspect shows its shape and Redis never holds the plaintext', async () => {
    const sentinel = 'SENTINEL-7f3a9c-do-not-leak';
    const { redis, client } = await setUp('vaulted');
    const raw = new Redis(redis.url);
    try {
      const { taskId } = await client.tasks.create({
        team: 'vaulted',
        machine: 'm1',
        command: 'true',
        vaultData: { function: 'deploy', credentials: { api_token: sentinel } },
      });
      const view = await client.tasks.inspect(taskId);
      expect(view.vaultData).toEqual({ function: 'string', credentials: { api_token: 'string' } });
      expect(JSON.stringify(view)).not.toContain(sentinel);
      const keys = await raw.keys('*');
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        const dump = await raw.dumpBuffer(key);
        expect(dump?.toString('latin1') ?? '', key).not.toContain(sentinel);
      }
    } finally {
      raw.disconnect();
      await client.close();
    }
  });
});
