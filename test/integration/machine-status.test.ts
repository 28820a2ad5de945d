// The machine status record (rdc:{TEAM}:machine-status) against a real Redis with the users `acl apply` makes:
// a team's bridge writes it, every role of the team reads it through the SDK, nobody else writes it.
import { registryKeys } from '@rediacc/core';
import { readMachineStatuses, recordMachineError, recordMachineReachable, recordMachineSample } from '@rediacc/queue';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AclFleet, aclFleet } from '../harness/acl-fleet.js';
import { useHarness } from '../harness/index.js';

const h = useHarness();
let fleet: AclFleet;

beforeAll(async () => {
  fleet = await aclFleet(h);
});

const sample = { load1: 0.5, load5: 0.4, load15: 0.3, memUsedBytes: 1e9, memTotalBytes: 4e9, diskFreeBytes: 2e10 };

describe('machine status', () => {
  it('a bridge records samples and errors; the team’s operator and viewer read them through the SDK', async () => {
    const bridge = fleet.connectionAs('A', 'bridge');
    await recordMachineSample(bridge, 'A', 'm1', 'bridge-1', sample, 1_000);
    await recordMachineError(bridge, 'A', 'm2', 'bridge-1', { at: 2_000, code: 'RDC_SSH_UNREACHABLE', message: 'no' });
    await recordMachineError(bridge, 'A', 'm2', 'bridge-2', { at: 3_000, code: 'RDC_SSH_AUTH', message: 'denied' });
    for (const role of ['operator', 'viewer'] as const) {
      const statuses = await fleet.clientAs('A', role).machines.status('A');
      expect(statuses.get('m1')).toMatchObject({ ...sample, sampledAt: 1_000, unreachableSince: null });
      expect(statuses.get('m2')).toMatchObject({
        bridgeId: 'bridge-2',
        sampledAt: null,
        unreachableSince: 2_000,
        lastError: { at: 3_000, code: 'RDC_SSH_AUTH' },
      });
    }
    await recordMachineReachable(bridge, 'A', 'm2', 'bridge-1');
    const after = await fleet.clientAs('A', 'viewer').machines.status('A');
    expect(after.get('m2')).toMatchObject({ unreachableSince: null, lastError: { code: 'RDC_SSH_AUTH' } });
  });

  it('skips a value that is not a status, and reads an empty team as an empty map', async () => {
    await fleet.raw.hset(registryKeys.machineStatus('A'), 'junk', '{"load1": "high"}', 'junk2', 'not json');
    const statuses = await readMachineStatuses(fleet.raw, 'A');
    expect(statuses.has('junk')).toBe(false);
    expect(statuses.has('junk2')).toBe(false);
    expect(statuses.has('m1')).toBe(true);
    expect((await fleet.admin.machines.status('B')).size).toBe(0);
  });

  it('removing a machine removes its status', async () => {
    expect((await fleet.admin.machines.status('A')).has('m1')).toBe(true);
    await fleet.admin.machines.remove('A', 'm1');
    expect((await fleet.admin.machines.status('A')).has('m1')).toBe(false);
    expect((await fleet.admin.machines.status('A')).has('m2')).toBe(true);
  });

  it('neither an operator nor a viewer nor another team’s bridge may write it', async () => {
    for (const [team, role] of [
      ['A', 'operator'],
      ['A', 'viewer'],
      ['B', 'bridge'],
    ] as const) {
      const conn = fleet.connectionAs(team, role);
      await expect(recordMachineSample(conn, 'A', 'm1', 'x', sample, 5_000)).rejects.toThrow(/NOPERM/);
    }
    await expect(fleet.clientAs('B', 'viewer').machines.status('A')).rejects.toMatchObject({
      code: 'RDC_ACCESS_DENIED',
    });
  });
});
