// Pool tasks: `pools.create({ pool: 'role=web', command })` runs a command once, on the least busy machine the
// selector matches. The producer chooses when the task is created, from what the bridges report: machines under
// their own maxConcurrent first, then fewest tasks running now (claimed by a bridge, fleet-wide), then lowest load
// (the bridges' last sample; unsampled machines after sampled ones), then reachable before unreachable, then by name.
// The task is then an ordinary task of that machine: it waits for a machine slot like any other.
import {
  type MachineRecord,
  type PoolSpecInput,
  parseInput,
  poolSpecSchema,
  type Selector,
  type SelectorInput,
  selectorSchema,
} from '@rediacc/core';
import {
  type MachineStatus,
  oneTeam,
  readMachineStatuses,
  runningByMachine,
  selectMachines,
  selectorText,
} from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { type CreateContext, createTask } from './task-create.js';
import type { CreatedTask } from './task-factory.js';

export interface PoolChoice {
  machine: string;
  team: string;
  /** Tasks running on the chosen machine when it was chosen, and its last sampled load (null: not sampled). */
  running: number;
  load1: number | null;
  /** How many machines the selector matched. */
  candidates: number;
}

export class Pools {
  constructor(
    private readonly redis: Redis,
    private readonly creating: () => CreateContext,
  ) {}

  /** Creates the task on the least busy machine of the pool (see `choose`). */
  async create(input: PoolSpecInput): Promise<CreatedTask & { pool: PoolChoice }> {
    const { pool, team, ...task } = parseInput(poolSpecSchema, input, 'pool task');
    const choice = await this.pick(pool, team);
    const created = await createTask(this.creating(), { ...task, team: choice.team, machine: choice.machine });
    return { ...created, pool: choice };
  }

  /** The machine a pool task with this selector would run on now. */
  choose(selector: SelectorInput, team?: string): Promise<PoolChoice> {
    return this.pick(parseInput(selectorSchema, selector, 'selector'), team);
  }

  private async pick(selector: Selector, team: string | undefined): Promise<PoolChoice> {
    const machines = await selectMachines(this.redis, selector, team);
    const owner = oneTeam(machines, `pool ${selectorText(selector)}`);
    const [running, statuses] = await Promise.all([
      runningByMachine(this.redis, owner),
      readMachineStatuses(this.redis, owner),
    ]);
    const best = leastBusy(machines, running, statuses);
    return {
      machine: best.name,
      team: owner,
      running: running.get(best.name) ?? 0,
      load1: statuses.get(best.name)?.load1 ?? null,
      candidates: machines.length,
    };
  }
}

/** The least busy machine: under its own limit, fewest running, lowest load, reachable, then by name. */
export function leastBusy(
  machines: readonly MachineRecord[],
  running: ReadonlyMap<string, number>,
  statuses: ReadonlyMap<string, MachineStatus>,
): MachineRecord {
  const rank = (m: MachineRecord) => {
    const n = running.get(m.name) ?? 0;
    const status = statuses.get(m.name);
    return [
      m.maxConcurrent !== undefined && n >= m.maxConcurrent ? 1 : 0,
      n,
      status?.load1 ?? Number.POSITIVE_INFINITY,
      status?.unreachableSince == null ? 0 : 1,
    ];
  };
  const sorted = [...machines].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) {
      if (ra[i] !== rb[i]) return (ra[i] ?? 0) - (rb[i] ?? 0);
    }
    return a.name.localeCompare(b.name);
  });
  return sorted[0]!;
}
