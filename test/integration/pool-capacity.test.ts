// A bridge's pooled agents on a machine hold every slot the bridge has for the machine's team: with a batch size
// above what the default pool held (4 connections × 5 runs), all of a team's runs on one machine start at once
// and none waits on the bridge for room in the pool (holding its claim while the machine had room).
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runsPerAgent } from '@rediacc/bridge';
import { beforeAll, describe, expect, it } from 'vitest';
import { holdCommand, startTeamBridges, type TeamBridges, useHarness, waitFor } from '../harness/index.js';

const h = useHarness();
let fleet: TeamBridges;

beforeAll(async () => {
  fleet = await startTeamBridges(h, 'pool');
});

describe('the agent pool of a bridge', () => {
  it('holds room for every slot of the team on one machine', async () => {
    const batchSize = 25;
    const team = await fleet.freshTeam();
    await fleet.bridgeFor(team, { batchSize, criticalSlots: 0 });
    const dir = await h.tempDir('pool');
    const stop = join(dir, 'stop');
    const created = await fleet.client.tasks.createMany(
      Array.from({ length: batchSize }, () => ({
        team,
        machine: 'm1',
        command: `: > ${dir}/started.$RDC_TASK_ID; ${holdCommand(stop)}`,
      })),
    );
    const started = async () => (await readdir(dir)).filter((name) => name.startsWith('started.')).length;
    // Each run holds until the stop file exists: all of them must have started while none has ended.
    await waitFor(`all ${batchSize} runs started at once`, async () =>
      (await started()) === batchSize ? true : undefined,
    );
    await writeFile(stop, '');
    for (const { taskId } of created) {
      expect((await fleet.client.tasks.wait(taskId, { timeoutMs: 30_000 })).status).toBe('COMPLETED');
    }
  }, 60_000);

  it('gives each agent more runs only when the team’s slots would not fit in the connections', () => {
    const base = { runsPerConnection: 5, maxConnectionsPerMachine: 4 };
    expect(runsPerAgent({ ...base, batchSize: 10, criticalSlots: 1 })).toBe(5);
    expect(runsPerAgent({ ...base, batchSize: 20, criticalSlots: 0 })).toBe(5);
    expect(runsPerAgent({ ...base, batchSize: 20, criticalSlots: 1 })).toBe(6);
    expect(runsPerAgent({ ...base, batchSize: 1000, criticalSlots: 1000 })).toBe(500);
  });
});
