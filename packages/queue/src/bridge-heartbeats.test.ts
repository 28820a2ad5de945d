import { describe, expect, it } from 'vitest';
import { bridgeHeartbeatSchema } from './bridge-heartbeats.js';

describe('bridgeHeartbeatSchema', () => {
  const older = {
    id: 'b1',
    host: 'vm',
    pid: 42,
    teams: ['Ops'],
    startedAt: '2026-01-01T10:00:00.000Z',
    lastSeen: '2026-01-01T10:00:05.000Z',
  };

  it('reads the heartbeat of a bridge older than the version and slots fields', () => {
    expect(bridgeHeartbeatSchema.parse(older)).toEqual(older);
  });

  it('reads version and per-team slots, and refuses a negative count', () => {
    const slots = { Ops: { normal: { busy: 1, free: 2 }, critical: { busy: 0, free: 2 } } };
    expect(bridgeHeartbeatSchema.parse({ ...older, version: '0.1.0', slots })).toMatchObject({
      version: '0.1.0',
      slots,
    });
    const bad = { Ops: { normal: { busy: -1, free: 2 }, critical: { busy: 0, free: 2 } } };
    expect(bridgeHeartbeatSchema.safeParse({ ...older, slots: bad }).success).toBe(false);
  });
});
