// Fan-out schedules with a real bridge and sshd machines: a schedule with `select` makes each run a batch over the
// machines tagged at run time (one task per machine, scheduleName and the batch on each, the batch as the schedule's
// last run), and with overlap skip a run is skipped while a task of the previous batch is still going (audited).
// Each task's job is stored as a created task's (job data version 2).
import { type Bridge, startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { runSchedule } from '@rediacc/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRaw, useHarness } from '../harness/index.js';
import { completedBatches, runsOf, type ScheduleRef, scheduleAudit } from '../harness/schedule-runs.js';

const h = useHarness();
const TEAM = 'SchedFan';
let client: RediaccClient;
let bridge: Bridge;
let redisUrl: string;

beforeAll(async () => {
  redisUrl = (await h.redis()).url;
  client = createClient({ redis: redisUrl });
  const { secretKey } = await client.teams.create(TEAM);
  const machines = await Promise.all(Array.from({ length: 3 }, () => h.machine()));
  for (const [i, m] of machines.entries()) {
    await client.machines.add({
      name: `f${i + 1}`,
      team: TEAM,
      host: m.host,
      port: m.port,
      user: m.user,
      keyFile: m.privateKeyPath,
      hostKeyFingerprint: m.hostKeyFingerprint,
      tags: { role: 'web' },
    });
  }
  bridge = await startBridge(
    { redisUrl, teams: [TEAM], teamKeys: { [TEAM]: secretKey }, name: 'fan-sched-bridge', batchSize: 6 },
    { logger: createLogger({ name: 'test', level: 'silent' }) },
  );
}, 120_000);

afterAll(async () => {
  await bridge?.close();
  await client?.close();
});

const schedule = (name: string): ScheduleRef => ({ client, team: TEAM, name });

describe('fan-out schedules', () => {
  it('an every-1s schedule with select runs a batch over the 3 tagged machines each time', async () => {
    await client.schedules.add({
      name: 'fan',
      team: TEAM,
      every: '1s',
      overlap: 'queue',
      fanOut: { select: { role: 'web' }, maxParallel: 2 },
      task: { team: TEAM, command: 'echo "on $(hostname)"' },
    });
    const batches = await completedBatches(schedule('fan'), 2, 3);
    await client.schedules.remove('fan', { team: TEAM });
    for (const tasks of batches) expect(tasks.map((t) => t.machine).sort()).toEqual(['f1', 'f2', 'f3']);
    const view = await client.batches.inspect(batches[0]![0]!.batchId!);
    expect(view).toMatchObject({ size: 3, select: { role: 'web' }, maxParallel: 2, stopOnFailure: false });
    expect(view.summary).toEqual({ completed: 3, failed: 0, cancelled: 0, pending: 0 });
    const runs = await scheduleAudit(schedule('fan'), 'schedule.run');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs[0]?.detail).toMatchObject({ tasks: 3, batchId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  }, 60_000);

  it('with overlap skip, a run is skipped while a task of the previous batch still runs', async () => {
    const added = await client.schedules.add({
      name: 'slowfan',
      team: TEAM,
      every: '1s',
      fanOut: { machines: ['f1', 'f2', 'f3'] },
      task: { team: TEAM, command: 'sleep 2.5' },
    });
    expect(added).toMatchObject({ machine: null, fanOut: 'machines f1,f2,f3', overlap: 'skip' });
    const done = await completedBatches(schedule('slowfan'), 2, 3);
    const last = (await client.schedules.list({ team: TEAM })).find((s) => s.name === 'slowfan')?.lastTaskId;
    await client.schedules.remove('slowfan', { team: TEAM });
    const skips = await scheduleAudit(schedule('slowfan'), 'schedule.skip');
    expect(skips.length).toBeGreaterThan(0);
    // The last run recorded is a batch of the schedule.
    expect((await runsOf(schedule('slowfan'))).some((t) => t.batchId === last)).toBe(true);
    // Never two batches at once: each batch started after every task of the one before it ended.
    const spans = done
      .map((tasks) => ({
        start: tasks.map((t) => t.startedAt!).sort()[0]!,
        end: tasks.map((t) => t.completedAt!).sort()[2]!,
      }))
      .sort((a, b) => a.start.localeCompare(b.start));
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start >= spans[i - 1]!.end).toBe(true);
  }, 60_000);

  it('a trigger run twice (a bridge died before finishing it) adds one batch, its tasks once', async () => {
    // A cron far off: no trigger fires during the test, the run is driven by hand as a bridge's upkeep would.
    await client.schedules.add({
      name: 'once',
      team: TEAM,
      cron: '0 3 1 1 *',
      overlap: 'queue',
      fanOut: { select: { role: 'web' } },
      task: { team: TEAM, command: 'true', priority: 5 },
    });
    const { raw: redis, queues } = openRaw(h, redisUrl);
    const first = await runSchedule(redis, queues, TEAM, 'once', 'repeat:once:1');
    const again = await runSchedule(redis, queues, TEAM, 'once', 'repeat:once:1');
    await client.schedules.remove('once', { team: TEAM });
    expect(first.outcome).toBe('batch');
    expect(again).toEqual(first);
    const runs = await runsOf(schedule('once'));
    expect(runs).toHaveLength(3);
    const batchId = first.outcome === 'batch' && first.batchId;
    expect(new Set(runs.map((t) => t.batchId))).toEqual(new Set([batchId]));
    // Each task's job is stored as a created task's (job data version 2): beside the command, only what is not a
    // default or the job's own (team, machine, priority): the schedule and the batch.
    for (const run of runs) {
      const data = await redis.hget(queues.forPriority(TEAM, 5).toKey(run.taskId), 'data');
      expect(JSON.parse(data!)).toEqual({
        v: 2,
        command: 'true',
        scheduleName: 'once',
        batch: { id: batchId, stopOnFailure: false },
      });
    }
  }, 60_000);
});
