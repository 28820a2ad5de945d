// Job data versions: a create stores version 2 (no team, machine, priority or defaulted fields in `data`, no
// retention or keepLogs in `opts`), and a task written in version 1 by the code before it still reads, lists,
// dedupes, cancels and runs as before. Real redis-server and sshd; the version-1 job is added the way that code did.
import { randomUUID } from 'node:crypto';
import { type Bridge, startBridge } from '@rediacc/bridge';
import { createLogger, type TaskView } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { machineIndexKey, type TeamQueues } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { startProducerTeam, useHarness } from '../harness/index.js';

const h = useHarness();
const team = `jdv-${process.pid}`;
const logger = createLogger({ name: 'test', level: 'silent' });
let redisUrl: string;
let client: RediaccClient;
let raw: Redis;
let queues: TeamQueues;
let teamKeys: Record<string, string>;

beforeAll(async () => {
  ({ redisUrl, client, raw, queues, teamKeys } = await startProducerTeam(h, team));
});

/** Adds a task as the code before version 2 did: every field in `data`, retention and keepLogs in `opts`. */
async function addVersion1(command: string, priority = 4): Promise<string> {
  const taskId = randomUUID();
  const timestamp = Date.now();
  const queue = queues.forPriority(team, priority);
  const data = {
    v: 1,
    team,
    machine: 'm1',
    command,
    priority,
    maxRetries: 0,
    retryDelay: 30,
    backoff: 'fixed',
    failureAction: 'none',
  };
  const opts = { jobId: taskId, priority, attempts: 1, timestamp, removeOnComplete: false, removeOnFail: false };
  await queue.add('m1', data, { ...opts, keepLogs: 100 });
  await raw.zadd(machineIndexKey(queue, 'm1'), timestamp, taskId);
  return taskId;
}

const SPEC_FIELDS = [
  'team',
  'machine',
  'command',
  'priority',
  'maxRetries',
  'retryDelay',
  'backoff',
  'maxRetryDelay',
  'failureAction',
  'timeout',
  'runOnce',
  'secrets',
  'status',
] as const;

/** The view fields a task's job data decides, and its status. */
function specOf(view: TaskView): Partial<TaskView> {
  return Object.fromEntries(SPEC_FIELDS.map((field) => [field, view[field]]));
}

describe('job data versions', () => {
  it('a create stores version 2: only what the job does not say itself and what differs from the defaults', async () => {
    const plain = await client.tasks.create({ team, machine: 'm1', command: 'echo plain', priority: 4 });
    const queue = queues.forPriority(team, 4);
    const [data, opts] = await raw.hmget(queue.toKey(plain.taskId), 'data', 'opts');
    expect(JSON.parse(data!)).toEqual({ v: 2, command: 'echo plain' });
    const storedOpts = JSON.parse(opts!);
    // The creation time is the job's own timestamp field (the machine index entry's score) and the id its key:
    // neither is repeated in opts.
    expect(storedOpts).toEqual({ attempts: 1, priority: 4 });
    const [timestamp, score] = await Promise.all([
      raw.hget(queue.toKey(plain.taskId), 'timestamp'),
      raw.zscore(machineIndexKey(queue, 'm1'), plain.taskId),
    ]);
    expect(Number(timestamp)).toBeGreaterThan(0);
    expect(score).toBe(timestamp);
    expect(specOf(await client.tasks.inspect(plain.taskId))).toEqual({
      team,
      machine: 'm1',
      command: 'echo plain',
      priority: 4,
      maxRetries: 0,
      retryDelay: 30,
      backoff: 'fixed',
      maxRetryDelay: null,
      failureAction: 'none',
      timeout: null,
      runOnce: false,
      secrets: [],
      status: 'PENDING',
    });

    const spec = {
      team,
      machine: 'm1',
      command: 'echo policy',
      priority: 2,
      maxRetries: 2,
      retryDelay: 5,
      backoff: 'exponential' as const,
      maxRetryDelay: 60,
      failureAction: 'alert' as const,
      timeout: 30,
      runOnce: true,
    };
    const policy = await client.tasks.create(spec);
    const stored = JSON.parse((await raw.hget(queues.forPriority(team, 2).toKey(policy.taskId), 'data'))!);
    expect(stored).toEqual({
      v: 2,
      command: 'echo policy',
      maxRetries: 2,
      retryDelay: 5,
      backoff: 'exponential',
      maxRetryDelay: 60,
      failureAction: 'alert',
      timeout: 30,
      runOnce: true,
    });
    const { team: _t, ...shown } = spec;
    expect(specOf(await client.tasks.inspect(policy.taskId))).toMatchObject({ ...shown, secrets: [] });
    await client.tasks.cancel([plain.taskId, policy.taskId]);
  });

  it('a version-2 task cancelled while pending keeps its team, machine and priority in its CANCELLED view', async () => {
    const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'echo gone', priority: 5 });
    const [result] = await client.tasks.cancel([taskId]);
    expect(result).toMatchObject({ taskId, outcome: 'cancelled' });
    const view = await client.tasks.inspect(taskId);
    expect(view).toMatchObject({ status: 'CANCELLED', team, machine: 'm1', priority: 5, command: 'echo gone' });
  });

  it('a task written in version 1 reads, lists, dedupes and cancels as before', async () => {
    const taskId = await addVersion1('echo old');
    const view = await client.tasks.inspect(taskId);
    expect(specOf(view)).toMatchObject({ team, machine: 'm1', command: 'echo old', priority: 4, status: 'PENDING' });
    const listed = await client.tasks.list({ team, machine: 'm1' });
    expect(listed.find((t) => t.taskId === taskId)).toEqual(view);
    // The same create again is the same task (idempotent); another command under its id is a conflict.
    const again = await client.tasks.create({ team, machine: 'm1', command: 'echo old', priority: 4, taskId });
    expect(again).toMatchObject({ taskId, created: false });
    await expect(
      client.tasks.create({ team, machine: 'm1', command: 'echo other', priority: 4, taskId }),
    ).rejects.toMatchObject({ code: 'RDC_TASK_ID_CONFLICT' });
    await client.tasks.cancel([taskId]);
    expect(await client.tasks.inspect(taskId)).toMatchObject({ status: 'CANCELLED', team, machine: 'm1' });
  });

  it('a bridge runs a version-1 and a version-2 task alike', async () => {
    const old = await addVersion1('echo ran-v1');
    const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'echo ran-v2', priority: 4 });
    // Idempotent re-create of a version-2 task: the stored data is read with the job's origin.
    expect(
      await client.tasks.create({ team, machine: 'm1', command: 'echo ran-v2', priority: 4, taskId }),
    ).toMatchObject({ created: false });
    const bridge: Bridge = await startBridge({ redisUrl, teams: [team], teamKeys, name: 'b-jdv' }, { logger });
    try {
      const [a, b] = await Promise.all([
        client.tasks.wait(old, { timeoutMs: 20_000 }),
        client.tasks.wait(taskId, { timeoutMs: 20_000 }),
      ]);
      expect([a.status, a.output]).toEqual(['COMPLETED', 'ran-v1\n']);
      expect([b.status, b.output, b.machine, b.team]).toEqual(['COMPLETED', 'ran-v2\n', 'm1', team]);
    } finally {
      await bridge.close();
    }
  });
});
