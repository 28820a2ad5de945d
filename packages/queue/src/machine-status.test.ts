import { describe, expect, it } from 'vitest';
import { type MachineStatus, machineStatusSchema, withError, withReachable, withSample } from './machine-status.js';

const sample = {
  load1: 0.5,
  load5: 0.25,
  load15: 0.1,
  memUsedBytes: 1_000,
  memTotalBytes: 4_000,
  diskFreeBytes: 9_000,
};

describe('machine status', () => {
  it('a sample sets the numbers and sampledAt, clears unreachableSince and keeps the last error', () => {
    const failed = withError(undefined, 'b1', { at: 100, code: 'RDC_SSH_UNREACHABLE', message: 'refused' });
    const sampled = withSample(failed, 'b2', sample, 200);
    expect(sampled).toEqual({
      ...sample,
      bridgeId: 'b2',
      sampledAt: 200,
      lastError: { at: 100, code: 'RDC_SSH_UNREACHABLE', message: 'refused' },
      unreachableSince: null,
    });
    expect(machineStatusSchema.parse(sampled)).toEqual(sampled);
  });

  it('errors in a row keep unreachableSince at the first and the numbers of the last sample', () => {
    const sampled = withSample(undefined, 'b1', sample, 50);
    const first = withError(sampled, 'b1', { at: 100, code: 'RDC_SSH_UNREACHABLE', message: 'refused' });
    const second = withError(first, 'b1', { at: 130, code: 'RDC_SSH_AUTH', message: 'denied' });
    expect(second).toMatchObject({ ...sample, sampledAt: 50, unreachableSince: 100, lastError: { at: 130 } });
  });

  it('an error before any sample makes a valid record with null numbers', () => {
    const status = withError(undefined, 'b1', { at: 1, code: 'X', message: 'm' });
    expect(machineStatusSchema.parse(status)).toMatchObject({ sampledAt: null, load1: null, unreachableSince: 1 });
  });

  it('a successful connect clears unreachableSince and keeps the rest', () => {
    const failed = withError(withSample(undefined, 'b1', sample, 5), 'b1', { at: 9, code: 'X', message: 'm' });
    expect(withReachable(failed, 'b1')).toEqual({ ...failed, unreachableSince: null });
    expect(machineStatusSchema.parse(withReachable(undefined, 'b1'))).toMatchObject({ lastError: null });
  });

  it('refuses negative numbers and missing fields', () => {
    const good: MachineStatus = withSample(undefined, 'b1', sample, 1);
    expect(machineStatusSchema.safeParse({ ...good, load1: -1 }).success).toBe(false);
    const { bridgeId: _, ...noBridge } = good;
    expect(machineStatusSchema.safeParse(noBridge).success).toBe(false);
  });
});
