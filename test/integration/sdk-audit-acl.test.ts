// The SDK's audit and ACL services (client.audit, client.acl), which the CLI uses instead of the queue package:
// reads default to the teams the caller may read, follow goes on after a read without repeating it, and a
// refusal is RDC_ACCESS_DENIED naming the user and the team.
import type { RdcError } from '@rediacc/core';
import { appendAudit } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AclFleet, aclFleet } from '../harness/acl-fleet.js';
import { useHarness } from '../harness/index.js';

const h = useHarness();
let fleet: AclFleet;
let raw: Redis;

beforeAll(async () => {
  fleet = await aclFleet(h);
  ({ raw } = fleet);
});

function rejection(promise: Promise<unknown>): Promise<RdcError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as RdcError,
  );
}

describe('client.audit', () => {
  it('reads every team the caller may read by default, and refuses another team as RDC_ACCESS_DENIED', async () => {
    await appendAudit(raw, { actor: 'ops', team: 'A', action: 'vault.set', target: 'sdk-read-a', outcome: 'ok' });
    await appendAudit(raw, { actor: 'ops', team: 'B', action: 'vault.set', target: 'sdk-read-b', outcome: 'ok' });
    const viewer = fleet.clientAs('A', 'viewer');
    const read = await viewer.audit.read();
    expect(read.teams).toEqual(['A']);
    expect(read.entries.map((e) => e.target)).toContain('sdk-read-a');
    expect(read.entries.map((e) => e.target)).not.toContain('sdk-read-b');

    const refused = await rejection(viewer.audit.read({ team: 'B' }));
    expect(refused.code).toBe('RDC_ACCESS_DENIED');
    expect(refused.message).toMatch(/^user rdc-A-viewer \(viewer of team A\) may not read the audit log in team B/);
  });

  it('keeps the newest `limit` entries, oldest first', async () => {
    for (const target of ['sdk-limit-1', 'sdk-limit-2', 'sdk-limit-3']) {
      await appendAudit(raw, { actor: 'ops', team: 'B', action: 'vault.set', target, outcome: 'ok' });
    }
    const read = await fleet.admin.audit.read({ team: 'B', limit: 2 });
    expect(read.entries.map((e) => e.target)).toEqual(['sdk-limit-2', 'sdk-limit-3']);
  });

  it('follows what is appended after a read, without repeating the read, until aborted', async () => {
    const read = await fleet.admin.audit.read({ team: 'B' });
    const stop = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const entry of fleet.admin.audit.follow(read, { signal: stop.signal, blockMs: 200 })) {
        seen.push(entry.target);
        if (entry.target === 'sdk-follow-2') stop.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    await appendAudit(raw, { actor: 'ops', team: 'B', action: 'vault.set', target: 'sdk-follow-1', outcome: 'ok' });
    await appendAudit(raw, { actor: 'ops', team: 'B', action: 'vault.set', target: 'sdk-follow-2', outcome: 'ok' });
    await following;
    expect(seen).toEqual(['sdk-follow-1', 'sdk-follow-2']);
  });

  it('reports no cuts for whole streams', async () => {
    expect(await fleet.admin.audit.cuts(['A', 'B'])).toEqual([]);
  });
});

describe('client.acl', () => {
  it('shows the rules of the named teams, and names a team that does not exist', async () => {
    const shown = await fleet.admin.acl.show({ teams: ['A'] });
    expect(shown.filter((e) => e.team === 'A').map((e) => [e.user, e.applied])).toContainEqual(['rdc-A-viewer', true]);
    expect(shown.some((e) => e.team === 'B')).toBe(false);
    expect((await rejection(fleet.admin.acl.show({ teams: ['Nope'] }))).code).toBe('RDC_TEAM_UNKNOWN');
  });

  it('refuses apply to a team user as RDC_ACCESS_DENIED', async () => {
    const refused = await rejection(fleet.clientAs('A', 'admin').acl.apply({ teams: ['A'] }));
    expect(refused.code).toBe('RDC_ACCESS_DENIED');
    expect(refused.message).toContain('user rdc-A-admin (admin of team A) may not change Redis ACL users');
  });
});
