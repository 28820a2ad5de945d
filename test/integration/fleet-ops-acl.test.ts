// Schedules and the archive under the Redis ACL users `acl apply` makes: an operator adds a schedule, a bridge user
// runs it and archives its finished runs, and another team's operator can neither see nor change it.
import { startBridge } from '@rediacc/bridge';
import { createLogger, registryKeys } from '@rediacc/core';
import { describe, expect, it } from 'vitest';
import { aclFleet } from '../harness/acl-fleet.js';
import { useHarness } from '../harness/index.js';
import { waitFor } from '../harness/wait-for.js';

const h = useHarness();

describe('schedules and the archive with ACL users', () => {
  it("an operator's schedule runs on a bridge user, which archives the runs; team B's operator cannot touch it", async () => {
    const f = await aclFleet(h);
    const operator = f.clientAs('A', 'operator');
    await operator.schedules.add({
      name: 'beat',
      team: 'A',
      every: '1s',
      task: { team: 'A', machine: 'm1', command: 'echo beat' },
    });
    await f.admin.archive.setRetention('A', { keepCount: 0 });
    const bridge = await startBridge(
      { redisUrl: f.urlOf('A', 'bridge'), teams: ['A'], teamKeys: f.teamKeys, name: 'acl-upkeep', archiveEveryMs: 200 },
      { logger: createLogger({ name: 'test', level: 'silent' }) },
    );
    h.own(() => bridge.close());
    // Runs are queued by the bridge user, run, and archived by it (keepCount 0: none stays live).
    await waitFor(
      'two archived runs',
      async () => ((await f.raw.xlen(registryKeys.archive('A'))) >= 2 ? true : undefined),
      30_000,
      200,
    );
    const runs = [];
    for await (const task of operator.archive.export('A')) runs.push(task);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs[0]).toMatchObject({ scheduleName: 'beat', status: 'COMPLETED' });
    await expect(f.clientAs('B', 'operator').schedules.pause('beat', { team: 'A' })).rejects.toMatchObject({
      code: 'RDC_ACCESS_DENIED',
    });
    expect(await f.clientAs('B', 'operator').schedules.list()).toEqual([]);
    await expect(f.clientAs('A', 'operator').archive.setRetention('A', { keepFor: '1d' })).rejects.toMatchObject({
      code: 'RDC_ACCESS_DENIED',
    });
    await operator.schedules.remove('beat');
  }, 60_000);
});
