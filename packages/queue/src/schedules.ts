// Schedules in Redis: the record of each (hash `rdc:{team}:schedules`) and its BullMQ job scheduler in the team's
// SCHEDULE_QUEUE. The job scheduler produces a small trigger job ({schedule}) at every due time; a bridge of the
// team turns each trigger into an ordinary task (schedule-runs.ts). Pausing removes the job scheduler and keeps
// the record, so resuming puts it back as it was.
import {
  registryKeys,
  SCHEDULE_QUEUE,
  type ScheduleRecord,
  type ScheduleView,
  scheduleRecordSchema,
  teamPrefix,
} from '@rediacc/core';
import { Queue, type RepeatOptions } from 'bullmq';
import type { Redis } from 'ioredis';

/** The team's schedule queue (opened without touching its meta hash, like the lane queues). */
export function openScheduleQueue(connection: Redis, team: string): Queue {
  const queue = new Queue(SCHEDULE_QUEUE, { connection, prefix: teamPrefix(team), skipMetasUpdate: true });
  queue.on('error', () => {});
  return queue;
}

function repeatOptions(record: ScheduleRecord): Omit<RepeatOptions, 'key'> {
  if (record.cron !== undefined) return { pattern: record.cron, ...(record.tz !== undefined && { tz: record.tz }) };
  return { every: record.everyMs };
}

/** Stores the record and, unless it is paused, (re)creates its job scheduler. */
export async function putSchedule(redis: Redis, queue: Queue, record: ScheduleRecord): Promise<void> {
  // The job scheduler first: a pattern BullMQ refuses leaves no record behind.
  if (record.paused) await queue.removeJobScheduler(record.name);
  else {
    await queue.upsertJobScheduler(record.name, repeatOptions(record), {
      name: 'schedule',
      data: { schedule: record.name },
      // A trigger is done once its task is added: nothing to keep.
      opts: { removeOnComplete: true, removeOnFail: 100 },
    });
  }
  await redis.hset(registryKeys.schedules(record.team), record.name, JSON.stringify(record));
}

export async function getSchedule(redis: Redis, team: string, name: string): Promise<ScheduleRecord | undefined> {
  const raw = await redis.hget(registryKeys.schedules(team), name);
  return raw === null ? undefined : scheduleRecordSchema.parse(JSON.parse(raw));
}

/** Removes the record, its job scheduler and its last-run pointer. False when there was no such schedule. */
export async function deleteSchedule(redis: Redis, queue: Queue, team: string, name: string): Promise<boolean> {
  const removed = await redis.hdel(registryKeys.schedules(team), name);
  await queue.removeJobScheduler(name);
  await redis.hdel(registryKeys.scheduleRuns(team), name);
  return removed === 1;
}

/** Every schedule of a team with its next due time (from its job scheduler) and its last run's task. */
export async function listSchedules(redis: Redis, queue: Queue, team: string): Promise<ScheduleView[]> {
  const [records, runs, schedulers] = await Promise.all([
    redis.hgetall(registryKeys.schedules(team)),
    redis.hgetall(registryKeys.scheduleRuns(team)),
    queue.getJobSchedulers(0, -1, true),
  ]);
  const next = new Map(schedulers.map((s) => [s.key, s.next]));
  return Object.values(records)
    .map((raw) => scheduleRecordSchema.parse(JSON.parse(raw)))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((r) => {
      const due = r.paused ? undefined : next.get(r.name);
      return {
        name: r.name,
        team: r.team,
        cron: r.cron ?? null,
        everyMs: r.everyMs ?? null,
        tz: r.tz ?? null,
        overlap: r.overlap,
        paused: r.paused,
        machine: r.job.data.machine ?? null,
        fanOut: fanOutText(r),
        command: r.job.data.command,
        priority: r.job.data.priority,
        nextRunAt: due === undefined ? null : new Date(due).toISOString(),
        lastTaskId: runs[r.name] ?? null,
      };
    });
}

/** A fan-out schedule's machines as `schedule list` shows them: `select role=web` or `machines a,b`. */
function fanOutText(record: ScheduleRecord): string | null {
  const f = record.fanOut;
  if (!f) return null;
  if (f.select)
    return `select ${Object.entries(f.select)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`;
  return `machines ${(f.machines ?? []).join(',')}`;
}
