import { describe, expect, it } from 'vitest';
import { bytes, type MachineListEntry, machineRows } from './machine-list.js';

const now = Date.parse('2026-01-01T12:00:00Z');
const record = {
  name: 'web-01',
  team: 'Ops',
  host: '10.0.0.5',
  port: 22,
  user: 'deploy',
  hostKeyFingerprint: 'SHA256:x',
  addedAt: 0,
} as const;
const status = {
  bridgeId: 'b1',
  sampledAt: now - 12_000,
  load1: 0.5,
  load5: 0.4,
  load15: 0.3,
  memUsedBytes: 1.5 * 1024 ** 3,
  memTotalBytes: 4 * 1024 ** 3,
  diskFreeBytes: 120 * 1024 ** 3,
  lastError: null,
  unreachableSince: null,
};

describe('machineRows', () => {
  it('shows running tasks, load, memory used/total, disk free and the sample age', () => {
    const tags = { role: 'web', env: 'prod' };
    const [row] = machineRows([{ ...record, tags, running: 2, status } as MachineListEntry], now);
    expect(row).toEqual({
      name: 'web-01',
      team: 'Ops',
      host: '10.0.0.5',
      user: 'deploy',
      tags: 'env=prod,role=web',
      running: '2',
      load1: '0.50',
      memory: '1.5G/4.0G',
      diskFree: '120G',
      sampled: '12s ago',
      lastError: '-',
    });
  });

  it('shows the last SSH error with its age, and since when the machine is unreachable', () => {
    const failing = {
      ...status,
      lastError: { at: now - 5_000, code: 'RDC_SSH_CONNECT', message: 'refused' },
      unreachableSince: now - 180_000,
    };
    const entries = [
      { ...record, port: 2222, running: 0, status: failing },
      { ...record, name: 'new', running: 0, status: null },
    ] as MachineListEntry[];
    const [down, unsampled] = machineRows(entries, now);
    expect(down).toMatchObject({ host: '10.0.0.5:2222', lastError: 'RDC_SSH_CONNECT 5s ago, unreachable for 3m' });
    expect(unsampled).toMatchObject({
      tags: '-',
      load1: '-',
      memory: '-',
      diskFree: '-',
      sampled: '-',
      lastError: '-',
    });
  });

  it('writes bytes in binary units', () => {
    expect([bytes(0), bytes(512), bytes(1536), bytes(5 * 1024 ** 4), bytes(null)]).toEqual([
      '0B',
      '512B',
      '1.5K',
      '5.0T',
      '-',
    ]);
  });
});
