// Schedules on BullMQ job schedulers, with a real bridge and sshd: an every-1s schedule produces ordinary tasks
// with scheduleName set, skips a run while the previous one is still going (audited), and pause, resume and remove
// stop and start its runs; a run's job is stored as a created task's (job data version 2), a schedule kept with
// version-1 job data too.
import { type Bridge, startBridge } from '@rediacc/bridge';
import { createLogger, registryKeys } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { runSchedule } from '@rediacc/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeamWithMachine } from '../harness/fleet.js';
import { openRaw, useHarness } from '../harness/index.js';
import { completedRuns, runsOf, type ScheduleRef, scheduleAudit } from '../harness/schedule-runs.js';
import { waitFor } from '../harness/wait-for.js';

const h = useHarness();
const TEAM = 'Sched';
let client: RediaccClient;
let bridge: Bridge;
let redisUrl: string;

beforeAll(async () => {
  redisUrl = (await h.redis()).url;
  client = createClient({ redis: redisUrl });
  const teamKeys = await addTeamWithMachine(client, TEAM, await h.machine(), 's1');
  bridge = await startBridge(
    { redisUrl, teams: [TEAM], teamKeys, name: 'sched-bridge' },
    { logger: createLogger({ name: 'test', level: 'silent' }) },
  );
});

afterAll(async () => {
  await bridge?.close();
  await client?.close();
});

const schedule = (name: string): ScheduleRef => ({ client, team: TEAM, name });

describe('schedules', () => {
  it('an every-1s schedule runs its task with scheduleName, and skips runs while the slow previous one goes', async () => {
    await client.schedules.add({
      name: 'slow',
      team: TEAM,
      every: '1s',
      task: { team: TEAM, machine: 's1', command: 'sleep 2.5; echo done' },
    });
    // Two runs finished: with a run taking 2.5 s and a trigger every second, some triggers found one going.
    const runs = await completedRuns(schedule('slow'), 2);
    const skips = await scheduleAudit(schedule('slow'), 'schedule.skip');
    expect(skips.length).toBeGreaterThan(0);
    expect(skips[0]?.detail?.running).toMatch(/^[0-9a-f-]{36}$/);
    expect((await scheduleAudit(schedule('slow'), 'schedule.run')).length).toBeGreaterThanOrEqual(2);
    // Never two runs at once: each run started after the one before it ended.
    const done = runs.filter((r) => r.status === 'COMPLETED').sort((a, b) => a.startedAt!.localeCompare(b.startedAt!));
    for (let i = 1; i < done.length; i++) {
      expect(done[i]!.startedAt! >= done[i - 1]!.completedAt!).toBe(true);
    }
    const one = await client.tasks.inspect(done[0]!.taskId);
    expect(one).toMatchObject({ scheduleName: 'slow', machine: 's1', output: 'done\n' });
    // A run is a task like any other: the machine's index (console and SDK machine search) has it.
    const onMachine = await client.tasks.list({ team: TEAM, machine: 's1', limit: 1000 });
    expect(onMachine.map((t) => t.taskId)).toEqual(expect.arrayContaining(done.map((r) => r.taskId)));
    await client.schedules.remove('slow', { team: TEAM });
  }, 60_000);

  it('pause stops the runs and resume starts them again; remove ends the schedule', async () => {
    await client.schedules.add({
      name: 'tick',
      team: TEAM,
      every: '1s',
      overlap: 'queue',
      task: { team: TEAM, machine: 's1', command: 'echo tick' },
    });
    await waitFor(
      'a first run',
      async () => ((await runsOf(schedule('tick'))).length > 0 ? true : undefined),
      20_000,
      200,
    );
    const paused = await client.schedules.pause('tick');
    expect(paused).toMatchObject({ name: 'tick', paused: true, nextRunAt: null, overlap: 'queue' });
    // No job scheduler while paused: nothing can fire. The record stays for resume.
    const listed = await client.schedules.list({ team: TEAM });
    expect(listed.map((s) => [s.name, s.paused])).toEqual([['tick', true]]);
    const before = (await runsOf(schedule('tick'))).length;
    const resumed = await client.schedules.resume('tick');
    expect(resumed.paused).toBe(false);
    expect(resumed.nextRunAt).not.toBeNull();
    await waitFor(
      'a run after resume',
      async () => ((await runsOf(schedule('tick'))).length > before ? true : undefined),
      20_000,
      200,
    );
    await client.schedules.remove('tick');
    expect(await client.schedules.list({ team: TEAM })).toEqual([]);
    await expect(client.schedules.pause('tick')).rejects.toMatchObject({ code: 'RDC_SCHEDULE_UNKNOWN' });
    expect((await scheduleAudit(schedule('tick'), 'schedule.pause')).length).toBe(1);
  }, 60_000);

  it("a run's job is stored as a created task's (version 2), also for a schedule kept with version-1 data", async () => {
    // A cron far off: no trigger fires during the test, the runs are driven by hand as a bridge's upkeep would.
    const task = { team: TEAM, machine: 's1', command: 'echo v2', maxRetries: 1, retryDelay: 5 };
    await client.schedules.add({ name: 'stored', team: TEAM, cron: '0 3 1 1 *', overlap: 'queue', task });
    const { raw: redis, queues } = openRaw(h, redisUrl);
    // A schedule as the code before version 2 kept it: every field in its job data, retention and keepLogs in its
    // options.
    const v1Data = { team: TEAM, machine: 's1', command: 'echo v1', priority: 3, maxRetries: 0, retryDelay: 30 };
    const v1 = {
      name: 'kept-v1',
      team: TEAM,
      cron: '0 3 1 1 *',
      overlap: 'queue',
      paused: false,
      createdAt: Date.now(),
      job: {
        name: 's1',
        data: { v: 1, ...v1Data, backoff: 'fixed', failureAction: 'none' },
        opts: { priority: 3, attempts: 1, removeOnComplete: false, removeOnFail: false, keepLogs: 100 },
      },
    };
    await redis.hset(registryKeys.schedules(TEAM), v1.name, JSON.stringify(v1));

    /** The stored data and options of a task's job (its key is the task id; its options do not repeat it). */
    const storedJob = async (taskId: string) => {
      const [data, opts] = await redis.hmget(queues.forPriority(TEAM, 3).toKey(taskId), 'data', 'opts');
      expect(data).not.toBeNull();
      return { data: JSON.parse(data!), opts: JSON.parse(opts!) };
    };
    for (const [name, spec, output] of [
      ['stored', task, 'v2\n'],
      ['kept-v1', v1Data, 'v1\n'],
    ] as const) {
      const run = await runSchedule(redis, queues, TEAM, name, `repeat:${name}:1`);
      if (run.outcome !== 'queued') throw new Error(`run of ${name}: ${run.outcome}`);
      // The same job a create of the same task stores, but for its scheduleName.
      const created = await client.tasks.create(spec);
      const expected = await storedJob(created.taskId);
      expect(expected.data.v).toBe(2);
      expect(await storedJob(run.taskId)).toEqual({
        data: { ...expected.data, scheduleName: name },
        opts: expected.opts,
      });
      const done = await client.tasks.wait(run.taskId, { timeoutMs: 30_000 });
      expect(done).toMatchObject({ status: 'COMPLETED', output, scheduleName: name, machine: 's1' });
      expect((await client.tasks.wait(created.taskId, { timeoutMs: 30_000 })).status).toBe('COMPLETED');
      await client.schedules.remove(name, { team: TEAM });
    }
  }, 60_000);

  it('refuses a schedule with both cron and every, a bad time zone, or a name the team already has', async () => {
    const task = { team: TEAM, machine: 's1', command: 'true' };
    await expect(
      client.schedules.add({ name: 'both', team: TEAM, cron: '0 3 * * *', every: '1h', task }),
    ).rejects.toMatchObject({ code: 'RDC_INVALID_INPUT', message: expect.stringMatching(/exactly one of cron/) });
    await expect(
      client.schedules.add({ name: 'tz', team: TEAM, cron: '0 3 * * *', tz: 'Mars/Olympus', task }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/tz "Mars\/Olympus" is not a time zone/) });
    const nightly = await client.schedules.add({
      name: 'nightly',
      team: TEAM,
      cron: '0 3 * * *',
      tz: 'Europe/Berlin',
      task,
    });
    expect(nightly.nextRunAt).not.toBeNull();
    await expect(client.schedules.add({ name: 'nightly', team: TEAM, every: '1h', task })).rejects.toMatchObject({
      code: 'RDC_SCHEDULE_EXISTS',
    });
    await client.schedules.remove('nightly');
  });
});
