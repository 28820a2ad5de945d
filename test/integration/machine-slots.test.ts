// The per-machine limit: a machine runs at most N tasks of the whole fleet at once, across bridges, through
// a lease semaphore in Redis. Waiting tasks stay PENDING and use no try; a crashed holder's lease expires.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { queueNameFor, registryKeys, teamPrefix } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import {
  acquireMachineSlot,
  machineSlotHolders,
  releaseMachineSlot,
  renewMachineSlot,
  slotWaiters,
} from '@rediacc/queue';
import { QueueEvents } from 'bullmq';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  holdCommand,
  loggedCommand,
  maxOverlap,
  startTeamBridges,
  type TeamBridges,
  useHarness,
  waitFor,
} from '../harness/index.js';

const WAIT = { timeoutMs: 30_000 };
const h = useHarness();
let fleet: TeamBridges;
let client: RediaccClient;

beforeAll(async () => {
  fleet = await startTeamBridges(h, 'slots');
  client = fleet.client;
});

afterEach(() => fleet?.closeBridges());

/** Creates `count` tasks that log their run on the machine, and waits for all of them. */
async function runLogged(team: string, count: number, seconds: number): Promise<string> {
  const log = join(await h.tempDir('slots'), 'runs.log');
  const created = await client.tasks.createMany(
    Array.from({ length: count }, () => ({
      team,
      machine: 'm1',
      maxRetries: 2,
      command: loggedCommand(log, 'run', `sleep ${seconds}`),
    })),
  );
  for (const { taskId } of created) {
    const done = await client.tasks.wait(taskId, WAIT);
    expect(done.status, done.error ?? '').toBe('COMPLETED');
    // Waiting for a slot is not a try: one try each, every retry still left.
    expect(done).toMatchObject({ attempts: 1, retryCount: 2 });
  }
  return log;
}

/** The tasks parked for a slot of m1, first first. */
const waiters = (team: string) => slotWaiters(client.redis, registryKeys.machineWaiters(team, 'm1'));

/** Counts the `delayed` events of the team's P3–P5 queue per task: one per park (or put-back). */
async function delayedEvents(team: string): Promise<{ of: (taskId: string) => Promise<number> }> {
  const events = new QueueEvents(queueNameFor(3), { connection: { url: fleet.redisUrl }, prefix: teamPrefix(team) });
  h.own(() => events.close());
  await events.waitUntilReady();
  const seen = new Map<string, number>();
  events.on('delayed', ({ jobId }) => seen.set(jobId, (seen.get(jobId) ?? 0) + 1));
  return { of: async (taskId) => seen.get(taskId) ?? 0 };
}

describe('per-machine limit', () => {
  it('two bridges never run more than two tasks at once on a machine limited to two, and all complete', async () => {
    const team = await fleet.freshTeam();
    await fleet.bridgeFor(team, { name: 'slots-a', batchSize: 4, maxPerMachine: 2 });
    await fleet.bridgeFor(team, { name: 'slots-b', batchSize: 4, maxPerMachine: 2 });
    const log = await runLogged(team, 10, 0.5);
    const overlap = await maxOverlap(log);
    // Exactly two: the limit is reached (eight slots on the bridges would allow more) and never passed.
    expect(overlap).toBe(2);
    expect(await client.tasks.counts(team)).toMatchObject({ completed: 10, failed: 0, pending: 0 });
    expect(await machineSlotHolders(client.redis, team, 'm1')).toEqual([]);
  });

  it("a machine's own limit of one wins over the bridges' three", async () => {
    const team = await fleet.freshTeam();
    expect(await client.machines.set('m1', { maxConcurrent: 1 }, team)).toMatchObject({ maxConcurrent: 1 });
    await fleet.bridgeFor(team, { name: 'override-a', batchSize: 3, maxPerMachine: 3 });
    await fleet.bridgeFor(team, { name: 'override-b', batchSize: 3, maxPerMachine: 3 });
    const log = await runLogged(team, 6, 0.3);
    expect(await maxOverlap(log)).toBe(1);
  });

  it("a crashed holder's expired lease does not block the machine", async () => {
    const team = await fleet.freshTeam();
    await client.machines.set('m1', { maxConcurrent: 1 }, team);
    // A bridge that died holding the only slot: its lease ran out long ago.
    await client.redis.zadd(registryKeys.machineSlots(team, 'm1'), 1, 'crashed-holder');
    await fleet.bridgeFor(team, { name: 'after-crash', batchSize: 2 });
    const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'echo free' });
    expect((await client.tasks.wait(taskId, WAIT)).status).toBe('COMPLETED');
  });

  it('a task waits PENDING, parked, while a live lease holds the only slot, and runs once it is released', async () => {
    const team = await fleet.freshTeam();
    await client.machines.set('m1', { maxConcurrent: 1 }, team);
    const holder = { team, machine: 'm1', holder: 'other-bridge-task' };
    expect(await acquireMachineSlot(client.redis, holder, 1, 600_000)).toBe(true);
    const marker = join(await h.tempDir('slot-wait'), 'ran');
    const events = await delayedEvents(team);
    // The safety net is far beyond this test's waits: only the release can start the task in time.
    await fleet.bridgeFor(team, { name: 'waiter', batchSize: 2, parkedCheckMs: 120_000 });
    const { taskId } = await client.tasks.create({ team, machine: 'm1', command: `touch ${marker}`, maxRetries: 1 });
    await waitFor('the task to be parked', async () => ((await waiters(team)).length === 1 ? true : undefined));
    expect(await waiters(team)).toEqual([taskId]);
    await waitFor('its park event', async () => ((await events.of(taskId)) === 1 ? true : undefined));
    expect(await client.tasks.inspect(taskId)).toMatchObject({ status: 'PENDING', attempts: 0, retryCount: 1 });
    expect(existsSync(marker)).toBe(false);

    await releaseMachineSlot(client.redis, holder);
    expect(await client.tasks.wait(taskId, WAIT)).toMatchObject({ status: 'COMPLETED', attempts: 1, retryCount: 1 });
    expect(existsSync(marker)).toBe(true);
    // Parked once and woken by the release: never put back to poll for the slot.
    expect(await events.of(taskId)).toBe(1);
  });

  it("a parked task starts as soon as the holder's try ends, woken by it rather than by polling", async () => {
    const team = await fleet.freshTeam();
    await client.machines.set('m1', { maxConcurrent: 1 }, team);
    const dir = await h.tempDir('slot-wake');
    const stop = join(dir, 'stop');
    const events = await delayedEvents(team);
    await fleet.bridgeFor(team, { name: 'holder', batchSize: 2, parkedCheckMs: 120_000 });
    const first = await client.tasks.create({ team, machine: 'm1', command: holdCommand(stop) });
    await waitFor('the first task to run', async () =>
      (await client.tasks.inspect(first.taskId)).status === 'PROCESSING' ? true : undefined,
    );
    const parked = await client.tasks.create({ team, machine: 'm1', command: 'echo woken' });
    const cancelled = await client.tasks.create({ team, machine: 'm1', command: `touch ${join(dir, 'never')}` });
    await waitFor('both to be parked', async () => ((await waiters(team)).length === 2 ? true : undefined));
    expect(await waiters(team)).toEqual([parked.taskId, cancelled.taskId]);
    // A parked task is a delayed job: cancelled like any PENDING task, and skipped by the wake.
    expect((await client.tasks.cancel([cancelled.taskId])).map((r) => r.outcome)).toEqual(['cancelled']);

    await writeFile(stop, '');
    expect(await client.tasks.wait(parked.taskId, WAIT)).toMatchObject({ status: 'COMPLETED', output: 'woken\n' });
    expect(await events.of(parked.taskId)).toBe(1);
    expect(await client.tasks.inspect(cancelled.taskId)).toMatchObject({ status: 'CANCELLED' });
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('machine set removes the limit again with null, and refuses bad values', async () => {
    const team = await fleet.freshTeam();
    expect(await client.machines.set('m1', { maxConcurrent: 4 }, team)).toMatchObject({ maxConcurrent: 4 });
    const cleared = await client.machines.set('m1', { maxConcurrent: null }, team);
    expect(cleared).not.toHaveProperty('maxConcurrent');
    expect((await client.machines.get('m1', team)).maxConcurrent).toBeUndefined();
    await expect(client.machines.set('m1', { maxConcurrent: 0 }, team)).rejects.toMatchObject({
      code: 'RDC_INVALID_INPUT',
    });
    await expect(client.machines.set('nope', { maxConcurrent: 1 }, team)).rejects.toMatchObject({
      code: 'RDC_MACHINE_UNKNOWN',
    });
  });
});

describe('machine slot leases', () => {
  const ref = (holder: string) => ({ team: 'leases', machine: 'm', holder });

  it('grants up to the limit, again to a holder that has one, and to others once released', async () => {
    const redis = client.redis;
    expect(await acquireMachineSlot(redis, ref('a'), 2, 60_000)).toBe(true);
    expect(await acquireMachineSlot(redis, ref('b'), 2, 60_000)).toBe(true);
    expect(await acquireMachineSlot(redis, ref('c'), 2, 60_000)).toBe(false);
    expect(await acquireMachineSlot(redis, ref('a'), 2, 60_000)).toBe(true);
    await releaseMachineSlot(redis, ref('a'));
    expect(await acquireMachineSlot(redis, ref('c'), 2, 60_000)).toBe(true);
    expect((await machineSlotHolders(redis, 'leases', 'm')).sort()).toEqual(['b', 'c']);
    const ttl = await redis.pttl(registryKeys.machineSlots('leases', 'm'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_001);
    await redis.del(registryKeys.machineSlots('leases', 'm'));
  });

  it('drops expired leases on acquire, and a renewal of a lost lease says so and takes it again', async () => {
    const redis = client.redis;
    const key = registryKeys.machineSlots('leases', 'm2');
    await redis.zadd(key, 1, 'dead');
    const live = { team: 'leases', machine: 'm2', holder: 'live' };
    expect(await acquireMachineSlot(redis, live, 1, 60_000)).toBe(true);
    expect(await redis.zscore(key, 'dead')).toBeNull();
    expect(await renewMachineSlot(redis, live, 60_000)).toBe(true);
    await releaseMachineSlot(redis, live);
    expect(await renewMachineSlot(redis, live, 60_000)).toBe(false);
    expect(await machineSlotHolders(redis, 'leases', 'm2')).toEqual(['live']);
    await redis.del(key);
  });
});
