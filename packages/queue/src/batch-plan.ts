// What every fan-out batch needs before its tasks are added, whoever adds them (the SDK's batches.create, or a
// bridge running a fan-out schedule): the machines (named, or selected by tags, all of one team) and the batch's
// record. The index is then written first (batches.ts), so a task never runs without its batch.
import { type BatchInfo, type MachineRecord, RdcError, type Selector } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { findMachine, getMachine, selectMachines } from './registry.js';

/** Whom a batch runs on: exactly one of the two. */
export interface BatchTarget {
  machines?: readonly string[];
  select?: Selector;
}

/** The batch's machines, in order (named ones as named), and their one team. */
export async function batchMachines(
  redis: Redis,
  target: BatchTarget,
  team: string | undefined,
): Promise<{ team: string; machines: MachineRecord[] }> {
  const machines = target.select
    ? await selectMachines(redis, target.select, team)
    : await Promise.all(
        (target.machines ?? []).map((n) => (team ? getMachine(redis, team, n) : findMachine(redis, n))),
      );
  const what = target.select ? `select ${selectorText(target.select)}` : 'machines';
  return { team: oneTeam(machines, what), machines };
}

/** The record of a batch of `size` tasks running `command`. */
export function batchInfo(
  batchId: string,
  team: string,
  task: { command: string; priority: number },
  size: number,
  options: { select?: Selector | undefined; maxParallel?: number | undefined; stopOnFailure: boolean },
): BatchInfo {
  return {
    batchId,
    team,
    command: task.command,
    priority: task.priority,
    size,
    createdAt: Date.now(),
    ...(options.select && { select: options.select }),
    ...(options.maxParallel !== undefined && { maxParallel: options.maxParallel }),
    stopOnFailure: options.stopOnFailure,
  };
}

/** The one team of the selected machines; none, or several, is an error that says what to do. */
export function oneTeam(machines: readonly MachineRecord[], what: string): string {
  const teams = [...new Set(machines.map((m) => m.team))];
  if (teams.length === 0) {
    throw new RdcError('RDC_NO_MACHINES', `${what} matches no machine of a team this user may read`);
  }
  if (teams.length > 1) {
    throw new RdcError(
      'RDC_INVALID_INPUT',
      `${what} matches machines of teams ${teams.join(', ')}; a batch runs in one team: name it with --team`,
    );
  }
  return teams[0]!;
}

export function selectorText(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
