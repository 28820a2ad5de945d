import type { MachineRecord } from '@rediacc/core';
import type { MachineStatus } from '@rediacc/queue';
import { describe, expect, it } from 'vitest';
import { leastBusy } from './pool-api.js';

const machine = (name: string, maxConcurrent?: number): MachineRecord =>
  ({
    name,
    team: 'T',
    host: 'h',
    port: 22,
    user: 'u',
    hostKeyFingerprint: 'SHA256:x',
    addedAt: 0,
    maxConcurrent,
  }) as MachineRecord;
const status = (load1: number, unreachableSince: number | null = null) =>
  ({ load1, unreachableSince }) as unknown as MachineStatus;

describe('leastBusy', () => {
  it('prefers fewer running tasks over a lower load, and a lower load over the name', () => {
    const machines = [machine('a'), machine('b'), machine('c')];
    const running = new Map([
      ['a', 2],
      ['b', 1],
      ['c', 1],
    ]);
    const statuses = new Map([
      ['a', status(0.1)],
      ['b', status(3)],
      ['c', status(0.5)],
    ]);
    expect(leastBusy(machines, running, statuses).name).toBe('c');
  });

  it('passes over a machine at its own limit, and puts unsampled and unreachable machines after the others', () => {
    const full = machine('a', 1);
    expect(
      leastBusy(
        [full, machine('b')],
        new Map([
          ['a', 1],
          ['b', 3],
        ]),
        new Map(),
      ).name,
    ).toBe('b');
    expect(leastBusy([machine('a'), machine('b')], new Map(), new Map([['b', status(9)]])).name).toBe('b');
    const down = new Map([
      ['a', status(0, 1)],
      ['b', status(0)],
    ]);
    expect(leastBusy([machine('a'), machine('b')], new Map(), down).name).toBe('b');
  });
});
