// Retry policy on BullMQ: a failing command is tried maxRetries more times, PENDING with its last error
// in between, and retryCount counts the retries left.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBridge } from '@rediacc/bridge';
import { createLogger, queueNameFor, teamPrefix } from '@rediacc/core';
import { createClient } from '@rediacc/producer';
import { readAlerts } from '@rediacc/queue';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { addTeamWithMachine, useHarness, waitFor } from '../harness/index.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const h = useHarness();
const teamKeys: Record<string, string> = {};

describe('retries', () => {
  it('retries a failing command until it succeeds, showing the last error while it waits', async () => {
    const redis = await h.redis();
    const machine = await h.machine();
    const dir = await h.tempDir('retry-');
    const counter = join(dir, 'tries');
    const client = createClient({ redis: redis.url });
    Object.assign(teamKeys, await addTeamWithMachine(client, 'retry', machine));
    const bridge = await startBridge({ teamKeys, redisUrl: redis.url, teams: ['retry'], batchSize: 1 }, { logger });
    try {
      // Fails on the first two tries, succeeds on the third.
      const command = `echo x >> ${counter}; n=$(wc -l < ${counter}); echo "try $n"; [ "$n" -ge 3 ] || { echo "not yet" >&2; exit 4; }`;
      const { taskId } = await client.tasks.create({
        team: 'retry',
        machine: 'm1',
        command,
        maxRetries: 3,
        retryDelay: 0.5,
      });
      let sawRetryWait = false;
      for (let i = 0; i < 200; i++) {
        const view = await client.tasks.inspect(taskId);
        if (view.status === 'PENDING' && view.error !== null) {
          sawRetryWait = true;
          expect(view.errorCode).toBe('RDC_COMMAND_FAILED');
          expect(view.error).toContain('exit code 4');
          expect(view.nextAttemptAt).not.toBeNull();
          break;
        }
        if (view.status === 'COMPLETED') break;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(sawRetryWait).toBe(true);
      const done = await client.tasks.wait(taskId, { timeoutMs: 20_000 });
      expect(done.status).toBe('COMPLETED');
      expect(done.output).toContain('try 3');
      expect(done.attempts).toBe(3);
      expect(done.retryCount).toBe(1);
    } finally {
      await bridge.close();
      await client.close();
    }
    expect(existsSync(counter)).toBe(true);
  });

  it('fails for good after maxRetries, with no retries left', async () => {
    const redis = await h.redis();
    const machine = await h.machine();
    const client = createClient({ redis: redis.url });
    Object.assign(teamKeys, await addTeamWithMachine(client, 'giveup', machine));
    const bridge = await startBridge({ teamKeys, redisUrl: redis.url, teams: ['giveup'], batchSize: 1 }, { logger });
    try {
      const { taskId } = await client.tasks.create({
        team: 'giveup',
        machine: 'm1',
        command: 'exit 9',
        maxRetries: 2,
        retryDelay: 0.1,
        failureAction: 'alert',
      });
      const quiet = await client.tasks.create({ team: 'giveup', machine: 'm1', command: 'exit 1' });
      await client.tasks.wait(quiet.taskId, { timeoutMs: 20_000 });
      const done = await client.tasks.wait(taskId, { timeoutMs: 20_000 });
      expect(done.status).toBe('FAILED');
      expect(done.exitCode).toBe(9);
      expect(done.attempts).toBe(3);
      expect(done.retryCount).toBe(0);
      // One alert, for the final failure of the task that asked for it; none for tries or for the quiet task.
      await bridge.close();
      const alerts = await readAlerts(client.redis, 'giveup');
      expect(alerts.map((a) => a.taskId)).toEqual([taskId]);
      expect(alerts[0]).toMatchObject({ machine: 'm1', attempts: 3 });
      expect(alerts[0]?.error).toContain('exit code 9');
    } finally {
      await bridge.close();
      await client.close();
    }
  });
});

describe('failures that retry', () => {
  it('retries a try that timed out', async () => {
    const redis = await h.redis();
    const machine = await h.machine();
    const flag = join(await h.tempDir('timeout-retry-'), 'first-try');
    const client = createClient({ redis: redis.url });
    Object.assign(teamKeys, await addTeamWithMachine(client, 'slow', machine));
    const bridge = await startBridge({ teamKeys, redisUrl: redis.url, teams: ['slow'], batchSize: 1 }, { logger });
    try {
      const { taskId } = await client.tasks.create({
        team: 'slow',
        machine: 'm1',
        // The first try hangs past its timeout; the second finds the flag and ends at once.
        command: `if [ -e ${flag} ]; then echo second; else : > ${flag}; sleep 30; fi`,
        timeout: 1,
        maxRetries: 1,
        retryDelay: 0,
      });
      const done = await client.tasks.wait(taskId, { timeoutMs: 30_000 });
      expect(done, done.error ?? '').toMatchObject({ status: 'COMPLETED', output: 'second\n', attempts: 2 });
    } finally {
      await bridge.close();
      await client.close();
    }
  });

  it('retries a try whose machine refused the connection, and completes once sshd is back', async () => {
    const redis = await h.redis();
    const machine = await h.machine();
    const client = createClient({ redis: redis.url });
    Object.assign(teamKeys, await addTeamWithMachine(client, 'down', machine));
    await machine.sshd.stop();
    const bridge = await startBridge(
      { teamKeys, redisUrl: redis.url, teams: ['down'], batchSize: 1, failFastMs: 200 },
      { logger },
    );
    try {
      const { taskId } = await client.tasks.create({
        team: 'down',
        machine: 'm1',
        command: 'echo reachable',
        maxRetries: 20,
        retryDelay: 0.5,
      });
      const waiting = await waitFor('a failed try waiting for its retry', async () => {
        const view = await client.tasks.inspect(taskId);
        return view.status === 'PENDING' && view.error !== null ? view : undefined;
      });
      expect(waiting.errorCode).toBe('RDC_SSH_CONNECT');
      await machine.sshd.restart();
      const done = await client.tasks.wait(taskId, { timeoutMs: 30_000 });
      expect(done, done.error ?? '').toMatchObject({ status: 'COMPLETED', output: 'reachable\n' });
      expect(done.attempts).toBeGreaterThan(1);
    } finally {
      await bridge.close();
      await client.close();
    }
  });

  it('grows exponential retry delays up to maxRetryDelay and no further', async () => {
    const redis = await h.redis();
    const machine = await h.machine();
    const times = join(await h.tempDir('backoff-'), 'times');
    const client = createClient({ redis: redis.url });
    Object.assign(teamKeys, await addTeamWithMachine(client, 'backoff', machine));
    const bridge = await startBridge({ teamKeys, redisUrl: redis.url, teams: ['backoff'], batchSize: 1 }, { logger });
    try {
      const { taskId } = await client.tasks.create({
        team: 'backoff',
        machine: 'm1',
        command: `date +%s%N >> ${times}; exit 3`,
        maxRetries: 4,
        retryDelay: 0.4,
        backoff: 'exponential',
        maxRetryDelay: 0.6,
      });
      const done = await client.tasks.wait(taskId, { timeoutMs: 30_000 });
      expect(done).toMatchObject({ status: 'FAILED', attempts: 5, maxRetryDelay: 0.6, backoff: 'exponential' });
      const starts = (await readFile(times, 'utf8'))
        .trim()
        .split('\n')
        .map((ns) => Number(BigInt(ns) / 1_000_000n));
      const gaps = starts.slice(1).map((t, i) => t - (starts[i] ?? 0));
      expect(gaps).toHaveLength(4);
      // Each wait is at least (1 - jitter) of its delay. Uncapped, the last delay would be 0.4·2³ = 3.2 s
      // (at least 2.4 s with jitter); capped it is at most 0.6 s plus one try's overhead.
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(300);
      expect(gaps[3]).toBeLessThan(2_000);
    } finally {
      await bridge.close();
      await client.close();
    }
  });
});

describe('failures that never retry', () => {
  it('fails a host key mismatch and a garbage job at once, and the bridge keeps serving', async () => {
    const redis = await h.redis();
    const machine = await h.machine();
    const client = createClient({ redis: redis.url });
    teamKeys.strict = (await client.teams.create('strict')).secretKey;
    const target = {
      team: 'strict',
      host: machine.host,
      port: machine.port,
      user: machine.user,
      keyFile: machine.privateKeyPath,
    };
    await client.machines.add({ ...target, name: 'good', hostKeyFingerprint: machine.hostKeyFingerprint });
    await client.machines.add({ ...target, name: 'spoofed', hostKeyFingerprint: `SHA256:${'B'.repeat(43)}` });
    const queue = new Queue(queueNameFor(1), { connection: { url: redis.url }, prefix: teamPrefix('strict') });
    const bridge = await startBridge({ teamKeys, redisUrl: redis.url, teams: ['strict'], batchSize: 2 }, { logger });
    try {
      const mismatch = await client.tasks.create({
        team: 'strict',
        machine: 'spoofed',
        command: 'true',
        maxRetries: 3,
        retryDelay: 0.1,
      });
      const garbage = await queue.add('junk', { hello: 'world' }, { priority: 1, attempts: 3 });
      const failed = await client.tasks.wait(mismatch.taskId, { timeoutMs: 20_000 });
      expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'RDC_HOST_KEY_MISMATCH', attempts: 1 });
      for (let i = 0; i < 200 && !(await garbage.isFailed()); i++) await new Promise((r) => setTimeout(r, 25));
      const junk = await queue.getJob(String(garbage.id));
      expect(junk?.failedReason).toMatch(/^RDC_JOB_DATA_INVALID: /);
      expect(junk?.attemptsMade).toBe(1);

      const ok = await client.tasks.create({ team: 'strict', machine: 'good', command: 'echo still-serving' });
      expect((await client.tasks.wait(ok.taskId, { timeoutMs: 20_000 })).output).toContain('still-serving');

      // A machine removed after its task was created (no bridge running meanwhile): nothing to retry against.
      await bridge.close();
      const orphan = await client.tasks.create({
        team: 'strict',
        machine: 'good',
        command: 'echo never',
        maxRetries: 3,
        priority: 5,
      });
      await client.machines.remove('strict', 'good');
      const again = await startBridge({ teamKeys, redisUrl: redis.url, teams: ['strict'], batchSize: 2 }, { logger });
      const lost = await client.tasks.wait(orphan.taskId, { timeoutMs: 20_000 }).finally(() => again.close());
      expect(lost).toMatchObject({ status: 'FAILED', errorCode: 'RDC_MACHINE_UNKNOWN', attempts: 1 });
    } finally {
      await bridge.close();
      await queue.close();
      await client.close();
    }
  });
});
