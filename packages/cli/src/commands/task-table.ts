// `list queue` for people: one line per task with what a reader scans for (status, priority, where, how old,
// what it runs); --json has every field.
import type { TaskView } from '@rediacc/core';
import { type Printed, table } from '../result.js';

export function taskTable(tasks: readonly TaskView[], now = Date.now()): Printed {
  return table(
    tasks.map((t) => ({
      taskId: t.taskId,
      status: t.status,
      priority: t.priority,
      team: t.team,
      machine: t.machine,
      age: ageOf(t.createdAt, now),
      command: t.command,
    })),
    ['taskId', 'status', 'priority', 'team', 'machine', 'age', 'command'],
  );
}

/** Time since `iso` in its largest unit: 42s, 5m, 3h, 2d. */
export function ageOf(iso: string | null, now: number): string {
  const ms = Date.parse(iso ?? '');
  if (Number.isNaN(ms)) return '-';
  const s = Math.max(0, Math.floor((now - ms) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}
