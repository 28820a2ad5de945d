// A create and a createMany check a spec alike (task-create.ts, checkedEntry): an unknown machine, an unknown team or
// a secret the team's vault lacks is refused with the same code and message either way, the checks made in the same
// order (machine, team, secrets), and nothing is queued.
import { isRdcError, type TaskSpecInput } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { beforeAll, describe, expect, it } from 'vitest';
import { startProducerTeam, useHarness } from '../harness/index.js';

const h = useHarness();
const team = `checks-${process.pid}`;
let client: RediaccClient;

beforeAll(async () => {
  ({ client } = await startProducerTeam(h, team));
  await client.vault.set(team, 'PRESENT', 'present-value');
});

/** The call's error as its code and message, or 'created'. */
function refusal(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => 'created',
    (error: unknown) => (isRdcError(error) ? { code: error.code, message: error.message } : error),
  );
}

describe('a bad spec, alone or in a createMany', () => {
  it.each<[string, Partial<TaskSpecInput>, string]>([
    ['an unknown machine', { machine: 'nope' }, 'RDC_MACHINE_UNKNOWN'],
    ['an unknown team', { team: `${team}-none` }, 'RDC_TEAM_UNKNOWN'],
    ['a secret the vault lacks', { secrets: ['PRESENT', 'ABSENT'] }, 'RDC_VAULT_UNKNOWN'],
    [
      'an unknown machine that also names a missing secret',
      { machine: 'nope', secrets: ['ABSENT'] },
      'RDC_MACHINE_UNKNOWN',
    ],
    [
      'an unknown team that also names a missing secret',
      { team: `${team}-none`, secrets: ['ABSENT'] },
      'RDC_TEAM_UNKNOWN',
    ],
  ])('is refused for %s with the same code and message, and nothing is queued', async (_, change, code) => {
    const bad = { team, machine: 'm1', command: 'true', ...change };
    const alone = await refusal(client.tasks.create(bad));
    expect(alone).toMatchObject({ code });
    const good = { team, machine: 'm1', command: 'true', secrets: ['PRESENT'] };
    expect(await refusal(client.tasks.createMany([good, bad]))).toEqual(alone);
    expect((await client.tasks.counts(team)).pending).toBe(0);
  });
});
