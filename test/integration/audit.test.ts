// The audit log: who did what to which task, machine or user, appended by the SDK, the bridge and acl apply to
// the team's capped stream, read back through the core schema, and cut only in ways auditIntegrity detects.
import { startBridge } from '@rediacc/bridge';
import { type AuditEntry, createLogger, RdcError, type Role, registryKeys } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import {
  AUDIT_KEPT,
  type AuditCursors,
  addAuditCursors,
  appendAudit,
  applyAcl,
  auditIntegrity,
  followAudit,
  readAudit,
} from '@rediacc/queue';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AclFleet, aclFleet } from '../harness/acl-fleet.js';
import { type TestMachine, useHarness, waitFor } from '../harness/index.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const h = useHarness();
/** The vault keys of the teams, which every bridge needs. */
const teamKeys: Record<string, string> = {};

let fleet: AclFleet;
let redisUrl: string;
let admin: RediaccClient;
let raw: Redis;
let machine: TestMachine;

/** The entries of `team` about `target`, as [actor, action, outcome] plus the detail. */
async function historyOf(team: string, target: string): Promise<AuditEntry[]> {
  return (await readAudit(raw, team)).entries.filter((e) => e.target === target);
}

async function settled(team: string, target: string, last: string): Promise<AuditEntry[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const entries = await historyOf(team, target);
    if (entries.some((e) => e.action === last) || Date.now() > deadline) return entries;
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  fleet = await aclFleet(h);
  ({ redisUrl, admin, raw, machine } = fleet);
  Object.assign(teamKeys, fleet.teamKeys);
});

const urlOf = (team: string, role: Role) => fleet.urlOf(team, role);
const clientAs = (team: string, role: Role, actor?: string) => fleet.clientAs(team, role, actor);

describe('audit log', () => {
  it("records a task's life: its create by the operator, then each transition by the bridge, in order", async () => {
    const operator = clientAs('A', 'operator');
    const bridge = await startBridge(
      { teamKeys, redisUrl: urlOf('A', 'bridge'), teams: ['A'], batchSize: 2, name: 'bridge-7' },
      { logger },
    );
    try {
      const ok = await operator.tasks.create({ team: 'A', machine: 'm1', command: 'echo ok', priority: 2 });
      const bad = await operator.tasks.create({
        team: 'A',
        machine: 'm1',
        command: 'exit 3',
        priority: 3,
        maxRetries: 1,
        retryDelay: 0,
      });
      await operator.tasks.wait(ok.taskId, { timeoutMs: 20_000 });
      await operator.tasks.wait(bad.taskId, { timeoutMs: 20_000 });

      const life = await settled('A', ok.taskId, 'task.completed');
      expect(life.map((e) => [e.actor, e.action, e.outcome])).toEqual([
        ['rdc-A-operator', 'task.create', 'ok'],
        ['rdc-A-bridge', 'task.assigned', 'ok'],
        ['rdc-A-bridge', 'task.processing', 'ok'],
        ['rdc-A-bridge', 'task.completed', 'ok'],
      ]);
      expect(life[0]!.detail).toMatchObject({ machine: 'm1', priority: 2, created: true });
      for (const e of life.slice(1)) expect(e.detail).toMatchObject({ bridge: 'bridge-7', attempt: 1 });
      expect(life.every((e) => e.team === 'A' && !Number.isNaN(Date.parse(e.at)))).toBe(true);

      const failed = await settled('A', bad.taskId, 'task.failed');
      expect(failed.map((e) => `${e.action}#${e.detail?.attempt ?? '-'}`)).toEqual([
        'task.create#-',
        'task.assigned#1',
        'task.processing#1',
        'task.retry#1',
        'task.assigned#2',
        'task.processing#2',
        'task.failed#2',
      ]);
      expect(failed.at(-1)).toMatchObject({ outcome: 'failed', detail: { code: 'RDC_COMMAND_FAILED' } });

      const long = await operator.tasks.create({ team: 'A', machine: 'm1', command: 'sleep 30', priority: 3 });
      for (let i = 0; i < 200 && (await operator.tasks.inspect(long.taskId)).status !== 'PROCESSING'; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await operator.tasks.cancel([long.taskId]);
      const cancelled = await settled('A', long.taskId, 'task.cancelled');
      expect(cancelled.map((e) => [e.actor, e.action])).toEqual(
        expect.arrayContaining([
          ['rdc-A-operator', 'task.cancel'],
          ['rdc-A-bridge', 'task.cancelled'],
        ]),
      );
      expect(cancelled.find((e) => e.action === 'task.cancel')?.detail).toMatchObject({ result: 'cancelled' });
    } finally {
      await bridge.close();
    }
  });

  it('names the configured actor instead of the Redis user, and refuses an actor that is not a plain name', async () => {
    const alice = clientAs('A', 'operator', 'alice@ops');
    const { taskId } = await alice.tasks.create({ team: 'A', machine: 'm1', command: 'true', priority: 5 });
    expect((await historyOf('A', taskId)).map((e) => e.actor)).toEqual(['alice@ops']);
    expect(() => createClient({ redis: redisUrl, actor: 'alice\nforged' })).toThrow(RdcError);
  });

  it('records registry changes and acl apply in the team’s log, naming the admin', async () => {
    await admin.teams.create('C');
    await admin.machines.add({
      name: 'c1',
      team: 'C',
      host: machine.host,
      port: machine.port,
      user: machine.user,
      keyFile: machine.privateKeyPath,
      hostKeyFingerprint: machine.hostKeyFingerprint,
    });
    await admin.machines.set('c1', { maxConcurrent: 2 }, 'C');
    await admin.machines.remove('C', 'c1');
    await applyAcl(admin.redis, { teams: ['C'], baseUrl: redisUrl });
    const entries = (await readAudit(raw, 'C')).entries;
    expect(entries.map((e) => [e.actor, e.action, e.target])).toEqual([
      ['default', 'team.create', 'C'],
      ['default', 'machine.add', 'c1'],
      ['default', 'machine.set', 'c1'],
      ['default', 'machine.remove', 'c1'],
      ['default', 'acl.apply', 'rdc-C-admin'],
      ['default', 'acl.apply', 'rdc-C-operator'],
      ['default', 'acl.apply', 'rdc-C-viewer'],
      ['default', 'acl.apply', 'rdc-C-bridge'],
    ]);
    expect(entries[2]!.detail).toEqual({ maxConcurrent: 2 });
    expect(entries[4]!.detail).toEqual({ role: 'admin', newPassword: true });
  });

  it('records vault changes by name only, host key trust, and a host key mismatch as a failed task', async () => {
    const sentinel = `audit-sentinel-${process.pid}`;
    const { secretKey } = await admin.teams.create('D');
    const target = {
      team: 'D',
      host: machine.host,
      port: machine.port,
      user: machine.user,
      keyFile: machine.privateKeyPath,
    };
    await admin.machines.add({ ...target, name: 'spoofed', hostKeyFingerprint: `SHA256:${'C'.repeat(43)}` });
    await admin.vault.set('D', 'API_TOKEN', sentinel);
    await admin.vault.delete('D', 'API_TOKEN');
    const bridge = await startBridge({ teamKeys: { D: secretKey }, redisUrl, teams: ['D'], batchSize: 1 }, { logger });
    try {
      const { taskId } = await admin.tasks.create({ team: 'D', machine: 'spoofed', command: 'true', maxRetries: 2 });
      expect((await admin.tasks.wait(taskId, { timeoutMs: 20_000 })).errorCode).toBe('RDC_HOST_KEY_MISMATCH');
      await admin.machines.trust('spoofed', machine.hostKeyFingerprint, 'D');
      // Bridges append in batches: the failure lands a moment after the task reads FAILED.
      const entries = await waitFor('the failure in the audit log', async () => {
        const all = (await readAudit(raw, 'D')).entries;
        return all.some((e) => e.action === 'task.failed' && e.target === taskId) ? all : undefined;
      });
      const failed = entries.find((e) => e.action === 'task.failed' && e.target === taskId);
      expect(failed).toMatchObject({ outcome: 'failed', detail: { code: 'RDC_HOST_KEY_MISMATCH' } });
      expect(entries.filter((e) => e.action.startsWith('vault.')).map((e) => [e.action, e.target, e.outcome])).toEqual([
        ['vault.set', 'API_TOKEN', 'ok'],
        ['vault.delete', 'API_TOKEN', 'ok'],
      ]);
      expect(entries.find((e) => e.action === 'machine.trust')).toMatchObject({
        target: 'spoofed',
        outcome: 'ok',
        detail: { from: `SHA256:${'C'.repeat(43)}`, to: machine.hostKeyFingerprint },
      });
      expect(JSON.stringify(entries)).not.toContain(sentinel);
    } finally {
      await bridge.close();
    }
  });

  it('keeps team logs apart: a team user may read its own log only', async () => {
    const viewer = new Redis(urlOf('B', 'viewer'));
    try {
      // The exported append works for any role: the vault code's entries land in the caller's own stream.
      await appendAudit(viewer, { actor: 'bob', team: 'B', action: 'vault.delete', target: 'k1', outcome: 'denied' });
      const entries = (await readAudit(viewer, 'B')).entries;
      expect(entries.at(-1)).toMatchObject({ user: 'rdc-B-viewer', actor: 'bob', action: 'vault.delete' });
      await expect(readAudit(viewer, 'A')).rejects.toThrow(/NOPERM/);
      await expect(
        appendAudit(viewer, { actor: 'bob', team: 'A', action: 'vault.set', target: 'k1', outcome: 'ok' }),
      ).rejects.toThrow(/NOPERM/);
    } finally {
      await viewer.quit();
    }
  });

  it('appendAudit validates entries, reads back by time, and followAudit sees new ones', async () => {
    await expect(
      appendAudit(raw, { actor: 'x', team: 'B', action: 'vault.explode' as 'vault.set', target: 'k', outcome: 'ok' }),
    ).rejects.toThrow(/action must be one of/);
    const [seconds, micros] = await raw.time();
    const since = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const id = await appendAudit(raw, {
      actor: 'vault-ops',
      team: 'B',
      action: 'vault.set',
      target: 'db-password',
      outcome: 'ok',
      detail: { version: 3 },
    });
    const recent = await readAudit(raw, 'B', { sinceMs: since });
    expect(recent.entries.map((e) => e.id)).toContain(id);
    expect((await readAudit(raw, 'B', { sinceMs: since + 3_600_000 })).entries).toEqual([]);

    const reader = raw.duplicate();
    try {
      const cursors: AuditCursors = new Map();
      await addAuditCursors(reader, ['B'], cursors, `${since}-0`);
      const mine = cursors.get(registryKeys.auditStream('B', 'default'))!;
      mine.lastId = id;
      const following = followAudit(reader, cursors, 5_000);
      await new Promise((r) => setTimeout(r, 50));
      await appendAudit(raw, { actor: 'vault-ops', team: 'B', action: 'key.rotate', target: 'B', outcome: 'ok' });
      const page = await following;
      expect(page.entries.map((e) => [e.user, e.actor, e.action])).toEqual([['default', 'vault-ops', 'key.rotate']]);
      expect(mine.lastId).toBe(page.entries[0]!.id);
    } finally {
      reader.disconnect();
    }
  });

  it('lets an appender cut only its own stream, through XADD’s own trim, and auditIntegrity names whose', async () => {
    const mine = registryKeys.auditStream('A', 'rdc-A-operator');
    const bridges = registryKeys.auditStream('A', 'rdc-A-bridge');
    const bridgeEntries = await raw.xlen(bridges);
    expect(bridgeEntries).toBeGreaterThan(5);
    expect((await auditIntegrity(raw, 'A')).filter((c) => c.missing > 0 || c.deleted)).toEqual([]);
    const operator = new Redis(urlOf('A', 'operator'));
    try {
      await expect(operator.xtrim(mine, 'MAXLEN', 0)).rejects.toThrow(/NOPERM/);
      await expect(operator.xadd(bridges, 'MAXLEN', 0, '*', 'forged', '1')).rejects.toThrow(/NOPERM/);
      // The residual risk, shown: MAXLEN on XADD is a trim no ACL rule can forbid, on the writer's own stream.
      await operator.xadd(mine, 'MAXLEN', 0, '*', 'forged', '1');
    } finally {
      await operator.quit();
    }
    expect(await raw.xlen(bridges)).toBe(bridgeEntries);
    const cut = (await auditIntegrity(raw, 'A')).filter((c) => c.missing > 0 || c.deleted);
    expect(cut).toEqual([expect.objectContaining({ user: 'rdc-A-operator', length: 0, deleted: false })]);
    expect(cut[0]!.missing).toBe(Math.min(cut[0]!.added, AUDIT_KEPT));
    expect(cut[0]!.missing).toBeGreaterThan(3);

    const teamAdmin = new Redis(urlOf('B', 'admin'));
    try {
      const key = registryKeys.auditStream('B', 'default');
      const [first] = await teamAdmin.xrange(key, '-', '+', 'COUNT', 1);
      await teamAdmin.xdel(key, first![0]);
      await teamAdmin.del(registryKeys.auditStream('B', 'rdc-B-viewer'));
    } finally {
      await teamAdmin.quit();
    }
    const deleted = (await auditIntegrity(raw, 'B')).filter((c) => c.missing > 0 || c.deleted);
    expect(deleted.map((c) => [c.user, c.deleted])).toEqual([
      ['default', true],
      ['rdc-B-viewer', true],
    ]);
  });
});
