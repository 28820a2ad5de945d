// What the schedule tests read and wait for alike: a schedule's runs (ordinary tasks with scheduleName set, batches
// for a fan-out schedule), its audit entries, and a bounded wait for enough finished runs.
import type { TaskView } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { waitFor } from './wait-for.js';

export interface ScheduleRef {
  client: RediaccClient;
  team: string;
  name: string;
}

/** The tasks the schedule has run so far, in every state. */
export async function runsOf({ client, team, name }: ScheduleRef): Promise<TaskView[]> {
  const tasks = await client.tasks.list({ team, limit: 1000 });
  return tasks.filter((t) => t.scheduleName === name);
}

/** The schedule's audit entries of `action` (schedule.run, schedule.skip, schedule.pause …). */
export async function scheduleAudit({ client, team, name }: ScheduleRef, action: string) {
  const { entries } = await client.audit.read({ team });
  return entries.filter((e) => e.action === action && e.target === name);
}

/** Waits (at most 40 s) until `count` runs completed; returns every run so far. */
export function completedRuns(schedule: ScheduleRef, count: number): Promise<TaskView[]> {
  return waitFor(
    `${count} completed runs of ${schedule.name}`,
    async () => {
      const runs = await runsOf(schedule);
      return runs.filter((r) => r.status === 'COMPLETED').length >= count ? runs : undefined;
    },
    40_000,
    250,
  );
}

/**
 * Waits (at most 40 s) until `count` runs of a fan-out schedule are whole batches of `size` tasks, all COMPLETED;
 * returns those batches' tasks.
 */
export function completedBatches(schedule: ScheduleRef, count: number, size: number): Promise<TaskView[][]> {
  return waitFor(
    `${count} whole batches of ${schedule.name} completed`,
    async () => {
      const batches = new Map<string, TaskView[]>();
      for (const run of await runsOf(schedule)) {
        batches.set(run.batchId!, [...(batches.get(run.batchId!) ?? []), run]);
      }
      const whole = [...batches.values()].filter(
        (tasks) => tasks.length === size && tasks.every((t) => t.status === 'COMPLETED'),
      );
      return whole.length >= count ? whole : undefined;
    },
    40_000,
    250,
  );
}
