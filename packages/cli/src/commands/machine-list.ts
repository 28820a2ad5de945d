// rediacc machine list [--team T] [--json]: the registered machines with what the bridges last saw of them —
// tasks running (claimed by a bridge), load, memory, disk free of the run directory, the sample's age, and
// the last SSH error with when it was seen (and since when the machine is unreachable, while it is).
import { formatTags, type Selector } from '@rediacc/core';
import type { MachineRecord, MachineStatus } from '@rediacc/producer';
import type { Handler } from '../context.js';
import { done, json, table } from '../result.js';
import { ageOf } from './task-table.js';

export interface MachineListCommandOptions {
  team?: string;
  /** Only machines carrying every tag of the selector. */
  select?: Selector;
  json?: boolean;
}

export type MachineListEntry = MachineRecord & { running: number; status: MachineStatus | null };

export const MACHINE_COLUMNS = [
  'name',
  'team',
  'host',
  'user',
  'tags',
  'running',
  'load1',
  'memory',
  'diskFree',
  'sampled',
  'lastError',
];

export const machineList: Handler<MachineListCommandOptions> = async (options, client) => {
  const machines = options.select
    ? await client.machines.select(options.select, options.team)
    : await client.machines.list(options.team);
  const entries: MachineListEntry[] = [];
  for (const team of [...new Set(machines.map((m) => m.team))]) {
    const mine = machines.filter((m) => m.team === team);
    const [statuses, running] = await Promise.all([client.machines.status(team), client.machines.running(team)]);
    for (const m of mine) {
      entries.push({ ...m, running: running.get(m.name) ?? 0, status: statuses.get(m.name) ?? null });
    }
  }
  return done(options.json ? json(entries) : table(machineRows(entries, Date.now()), MACHINE_COLUMNS));
};

/** One row per machine; `-` for what no bridge has sampled yet. */
export function machineRows(entries: readonly MachineListEntry[], now: number): Record<string, string>[] {
  return entries.map((m) => {
    const s = m.status;
    return {
      name: m.name,
      team: m.team,
      host: m.port === 22 ? m.host : `${m.host}:${m.port}`,
      user: m.user,
      tags: formatTags(m.tags) || '-',
      running: String(m.running),
      load1: s?.load1 == null ? '-' : s.load1.toFixed(2),
      memory: s?.memTotalBytes == null ? '-' : `${bytes(s.memUsedBytes)}/${bytes(s.memTotalBytes)}`,
      diskFree: bytes(s?.diskFreeBytes ?? null),
      sampled: s?.sampledAt == null ? '-' : `${age(s.sampledAt, now)} ago`,
      lastError: lastError(s, now),
    };
  });
}

function lastError(s: MachineStatus | null, now: number): string {
  if (!s?.lastError) return '-';
  const seen = `${s.lastError.code} ${age(s.lastError.at, now)} ago`;
  return s.unreachableSince === null ? seen : `${seen}, unreachable for ${age(s.unreachableSince, now)}`;
}

/** Bytes in binary units, one decimal below 10: 512M, 3.8G, 1.2T. */
export function bytes(value: number | null): string {
  if (value === null) return '-';
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${n < 10 && unit > 0 ? n.toFixed(1) : Math.round(n)}${units[unit]}`;
}

function age(ms: number, now: number): string {
  return ageOf(new Date(ms).toISOString(), now);
}
