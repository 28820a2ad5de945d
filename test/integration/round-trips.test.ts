// The Redis round trips of one task's path on the bridge, counted by a wrapper around ioredis (a pipeline or a
// script is one round trip). The list in docs/architecture.md ("A task's path") comes from this test's output.
import { createRequire } from 'node:module';
import { type Bridge, startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeamWithMachine, useHarness } from '../harness/index.js';
import { countRoundTrips, type RoundTrip, type RoundTripCounter } from '../harness/round-trips.js';

const WAIT = { timeoutMs: 30_000 };
const TASKS = 5;
const h = useHarness();
let client: RediaccClient;
let bridge: Bridge;
let counter: RoundTripCounter;
const team = `trips-${process.pid}`;

/**
 * Round trips that are not one task's: timers of the bridge (heartbeat, the periodic cancel check of held tasks) and
 * of BullMQ's worker (lock renewal, stalled check), its blocking wait, lease renewals.
 */
const BACKGROUND =
  /heartbeat|sampl|bzpopmin|moveStalledJobsToWait|extendLock|renewMachineSlot|alert|metrics|\(bridge\.ts\)/i;
const perTask = (trip: RoundTrip) => trip.bridge && !BACKGROUND.test(trip.label);

beforeAll(async () => {
  const redisUrl = (await h.redis()).url;
  const machine = await h.machine();
  client = createClient({ redis: redisUrl });
  const teamKeys = await addTeamWithMachine(client, team, machine);
  counter = countRoundTrips();
  bridge = await startBridge(
    { teamKeys, redisUrl, teams: [team], name: 'trips', batchSize: 2, maxPerMachine: 2, sampleIntervalMs: 0 },
    { logger: createLogger({ name: 'test', level: 'silent' }) },
  );
  // Warm: the pooled connection and agent, the machine and key caches, the scripts loaded on Redis.
  const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'true' });
  expect((await client.tasks.wait(taskId, WAIT)).status).toBe('COMPLETED');
});

afterAll(async () => {
  await bridge?.close();
  counter?.stop();
  await client?.close();
});

/**
 * Prints the bridge's round trips per task by label; returns those of our own code, per task: BullMQ's (claim,
 * finish) and the audit log's (batched across tasks, so its count depends on timing) are reported, not asserted.
 */
function report(title: string, tasks: number): number {
  if (process.env.RDC_TRIPS_ALL) console.log([...counter.byLabel(() => true)]);
  const rows = [...counter.byLabel(perTask)].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, n]) => sum + n, 0);
  // PROCESSING is written only once a run has gone on for 100 ms (task-run.ts): on a loaded box a run of `true`
  // may last that long, so its write is reported, not counted.
  const ours = rows.filter(([label]) => !/^bullmq |audit|writeProgress/.test(label)).reduce((sum, [, n]) => sum + n, 0);
  const lines = rows.map(([label, n]) => `  ${(n / tasks).toFixed(2).padStart(5)}  ${label}`);
  console.log(
    `${title}: ${(total / tasks).toFixed(2)} round trips per task, ${(ours / tasks).toFixed(2)} of the bridge's own\n${lines.join('\n')}`,
  );
  return ours / tasks;
}

describe("a task's round trips on the bridge", () => {
  it('a task that completes', async () => {
    counter.reset();
    for (let i = 0; i < TASKS; i++) {
      const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'true' });
      expect((await client.tasks.wait(taskId, WAIT)).status).toBe('COMPLETED');
    }
    // The claim (slot + ASSIGNED) and the end (slot release + lock check). The lock checks before the start and
    // the result ride on the claim's lease; a run this short never writes PROCESSING (its result says when it ran).
    expect(report('completed', TASKS)).toBeLessThanOrEqual(2);
  });

  it('a task whose only try fails', async () => {
    counter.reset();
    for (let i = 0; i < TASKS; i++) {
      const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'exit 3', maxRetries: 0 });
      expect((await client.tasks.wait(taskId, WAIT)).status).toBe('FAILED');
    }
    // As above; the end also records the failed try's result.
    expect(report('failed', TASKS)).toBeLessThanOrEqual(2);
  });

  it('a task with a small output makes no SFTP request: the output comes with the end', async () => {
    const sftp = countSftpRequests();
    try {
      for (let i = 0; i < TASKS; i++) {
        const { taskId } = await client.tasks.create({ team, machine: 'm1', command: `printf 'out ${i}\\000\\n'` });
        expect(await client.tasks.wait(taskId, WAIT)).toMatchObject({ status: 'COMPLETED', output: `out ${i}\0\n` });
      }
      // A large one still reads its spool (open, fstat, read, close), so the count would see the reads.
      const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'seq 1 2000' });
      expect((await client.tasks.wait(taskId, WAIT)).output).toMatch(/^1\n2\n[\s\S]*\n2000\n$/);
      expect(sftp.requests).toEqual(['open', 'fstat', 'read', 'close']);
    } finally {
      sftp.stop();
    }
  });
});

/** The SFTP requests the bridges in this process send (ssh2's SFTP client, wrapped), by name, in order. */
function countSftpRequests(): { requests: string[]; stop(): void } {
  const require = createRequire(import.meta.url);
  const proto = require('ssh2/lib/protocol/SFTP.js').SFTP.prototype as Record<string, (...args: unknown[]) => unknown>;
  const requests: string[] = [];
  const originals = new Map(['open', 'fstat', 'read', 'close', 'stat'].map((name) => [name, proto[name]]));
  for (const [name, original] of originals) {
    proto[name] = function (this: unknown, ...args: unknown[]) {
      requests.push(name);
      return original?.apply(this, args);
    };
  }
  const stop = () => {
    for (const [name, original] of originals) if (original) proto[name] = original;
  };
  return { requests, stop };
}
