import { describe, expect, it } from 'vitest';
import { bridgeRows } from './bridge-list.js';

describe('bridgeRows', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const base = {
    id: 'b1',
    host: 'vm',
    pid: 42,
    teams: ['Ops', 'Dev'],
    startedAt: '2026-01-01T10:59:00Z',
    lastSeen: '2026-01-01T11:59:57Z',
  };

  it('sums the slots of the teams shown as busy/free and ages the times', () => {
    const lane = (busy: number, free: number) => ({ busy, free });
    const [row] = bridgeRows(
      [
        {
          ...base,
          version: '0.1.0',
          slots: {
            Ops: { normal: lane(1, 2), critical: lane(0, 3) },
            Dev: { normal: lane(0, 3), critical: lane(1, 2) },
          },
        },
      ],
      now,
    );
    expect(row).toEqual({
      id: 'b1',
      host: 'vm',
      pid: '42',
      version: '0.1.0',
      teams: 'Ops,Dev',
      normal: '1/5',
      critical: '1/5',
      up: '1h',
      lastSeen: '3s ago',
    });
  });

  it('shows a dash for what a bridge older than the version and slots fields does not report', () => {
    const [row] = bridgeRows([base], now);
    expect(row).toMatchObject({ version: '-', normal: '-', critical: '-' });
  });
});
