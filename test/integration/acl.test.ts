// Team isolation enforced by Redis itself: real ACL users made by acl apply, driving the SDK, the bridge and raw
// commands against a real redis-server. Every flow a role needs works (and leaves no refusal in ACL LOG); every
// reach into another team, or past the role, is refused with RDC_ACCESS_DENIED naming the user and the team.
import { startBridge } from '@rediacc/bridge';
import { aclUserName, createLogger, RdcError, type Role, registryKeys, teamPrefix } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { type AclUser, applyAcl, readAudit } from '@rediacc/queue';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AclFleet, aclFleet } from '../harness/acl-fleet.js';
import { useHarness, waitFor } from '../harness/index.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const h = useHarness();
/** The vault keys of the teams, which every bridge needs. */
const teamKeys: Record<string, string> = {};

let fleet: AclFleet;
let redisUrl: string;
let admin: RediaccClient;
let raw: Redis;
let users: AclUser[];

async function denied(promise: Promise<unknown>): Promise<RdcError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a refusal').toBeInstanceOf(RdcError);
  expect((error as RdcError).code, (error as Error).message).toBe('RDC_ACCESS_DENIED');
  return error as RdcError;
}

/** Refusals Redis logged for `user` since the last call (ACL LOG RESET after reading). */
async function refusalsOf(user: string): Promise<string[]> {
  const log = (await raw.call('ACL', 'LOG')) as unknown[][];
  await raw.call('ACL', 'LOG', 'RESET');
  return log
    .map((entry) => Object.fromEntries(chunk(entry)) as Record<string, unknown>)
    .filter((e) => e.username === user)
    .map((e) => `${e.reason} ${e.object}`);
}

function chunk(flat: unknown[]): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), flat[i + 1]]);
  return out;
}

beforeAll(async () => {
  fleet = await aclFleet(h);
  ({ redisUrl, admin, raw, users } = fleet);
  Object.assign(teamKeys, fleet.teamKeys);
});

const urlOf = (team: string, role: Role) => fleet.urlOf(team, role);
const clientAs = (team: string, role: Role, actor?: string) => fleet.clientAs(team, role, actor);
const connectionAs = (team: string, role: Role) => fleet.connectionAs(team, role);

describe('acl apply', () => {
  it('creates one user per team and role plus rdc-admin, each with a URL carrying a new password', () => {
    expect(users.map((u) => u.user).sort()).toEqual(
      [
        'rdc-admin',
        ...['A', 'B'].flatMap((t) =>
          (['admin', 'operator', 'viewer', 'bridge'] as const).map((r) => aclUserName(t, r)),
        ),
      ].sort(),
    );
    for (const user of users) {
      expect(user.newPassword).toBe(true);
      expect(new URL(user.url).username).toBe(user.user);
      expect(new URL(user.url).password).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('keeps existing passwords on a second apply, rotates them with newPasswords, and never locks out the caller', async () => {
    const before = connectionAs('A', 'viewer');
    expect(await before.call('ACL', 'WHOAMI')).toBe('rdc-A-viewer');
    const again = await applyAcl(admin.redis, { teams: ['A'], baseUrl: redisUrl });
    expect(again.users.every((u) => !u.newPassword)).toBe(true);
    expect(new URL(again.users.find((u) => u.user === 'rdc-A-viewer')!.url).password).toBe('');
    const sameUrl = new Redis(urlOf('A', 'viewer'), { lazyConnect: true });
    await sameUrl.connect();
    expect(await sameUrl.call('ACL', 'WHOAMI')).toBe('rdc-A-viewer');
    await sameUrl.quit();

    // The fleet admin rotates everyone but itself: its URL keeps working.
    const fleetAdmin = new Redis(urlOf('*', 'admin'));
    const rotated = await applyAcl(fleetAdmin, { teams: ['B'], baseUrl: urlOf('*', 'admin'), newPasswords: true });
    const self = rotated.users.find((u) => u.user === 'rdc-admin')!;
    expect(self).toMatchObject({ newPassword: false, url: urlOf('*', 'admin') });
    const old = new URL(urlOf('B', 'viewer'));
    const probe = new Redis(redisUrl);
    await expect(probe.call('AUTH', old.username, old.password)).rejects.toThrow(/WRONGPASS/);
    await probe.quit();
    const newB = new Redis(rotated.users.find((u) => u.user === 'rdc-B-viewer')!.url);
    expect(await newB.call('ACL', 'WHOAMI')).toBe('rdc-B-viewer');
    await newB.quit();
    await fleetAdmin.quit();
    users = users.map((u) => rotated.users.find((r) => r.user === u.user && r.newPassword) ?? u);
    expect(await admin.redis.call('ACL', 'WHOAMI')).toBe('default');
  });

  it('grants no channel beyond the team’s, even on a server whose acl-pubsub-default is allchannels', async () => {
    await raw.config('SET', 'acl-pubsub-default', 'allchannels');
    try {
      await applyAcl(admin.redis, { teams: ['B'], baseUrl: redisUrl });
      await applyAcl(admin.redis, { teams: ['B'], baseUrl: redisUrl, newPasswords: true });
      const lines = ((await raw.call('ACL', 'LIST')) as string[]).filter((l) => l.startsWith('user rdc-B-'));
      expect(lines).toHaveLength(4);
      for (const line of lines) expect(line, line).not.toContain('&*');
    } finally {
      await raw.config('SET', 'acl-pubsub-default', 'resetchannels');
      ({ users } = await applyAcl(admin.redis, { teams: ['B'], baseUrl: redisUrl, newPasswords: true }).then((r) => ({
        users: users.map((u) => r.users.find((n) => n.user === u.user && n.newPassword) ?? u),
      })));
    }
  });

  it('is refused to a team user, as RDC_ACCESS_DENIED naming the user', async () => {
    const error = await denied(applyAcl(connectionAs('A', 'admin'), { teams: ['A'], baseUrl: redisUrl }));
    expect(error.message).toContain('user rdc-A-admin (admin of team A) may not change Redis ACL users');
  });
});

describe('operator', () => {
  it('creates, lists, inspects, counts and cancels the tasks of its own team, and Redis refuses it nothing', async () => {
    await refusalsOf('rdc-A-operator');
    const operator = clientAs('A', 'operator');
    const created = await operator.tasks.create({ team: 'A', machine: 'm1', command: 'echo a', priority: 2 });
    const [many] = await operator.tasks.createMany([{ team: 'A', machine: 'm1', command: 'echo b', priority: 4 }]);
    await admin.tasks.create({ team: 'B', machine: 'm1', command: 'echo b', priority: 3 });
    expect((await operator.tasks.inspect(created.taskId)).status).toBe('PENDING');
    const listed = await operator.tasks.list({});
    expect(listed.map((t) => t.team)).toEqual(['A', 'A']);
    expect((await operator.tasks.counts('A')).pending).toBe(2);
    expect(await operator.tasks.cancel([many!.taskId])).toEqual([
      { taskId: many!.taskId, outcome: 'cancelled', status: 'CANCELLED' },
    ]);
    expect((await operator.tasks.list({ status: 'CANCELLED' })).map((t) => t.taskId)).toEqual([many!.taskId]);
    await operator.tasks.cancel([created.taskId]);
    expect(await refusalsOf('rdc-A-operator')).toEqual([]);
  });

  it("cannot read, create or cancel team B's tasks: each says who was refused and where", async () => {
    const operator = clientAs('A', 'operator');
    const bTask = await admin.tasks.create({ team: 'B', machine: 'm1', command: 'echo b', priority: 3 });

    const create = await denied(operator.tasks.create({ team: 'B', machine: 'm1', command: 'id', priority: 1 }));
    expect(create.message).toMatch(/^user rdc-A-operator \(operator of team A\) may not create tasks in team B/);
    const list = await denied(operator.tasks.list({ team: 'B' }));
    expect(list.message).toMatch(/^user rdc-A-operator \(operator of team A\) may not read tasks in team B/);
    await denied(operator.tasks.counts('B'));
    const inspect = await denied(operator.tasks.inspect(bTask.taskId));
    expect(inspect.message).toContain(`may not read task ${bTask.taskId}: it is not in team A`);
    expect(inspect.message).toContain('may not read team B');
    const cancel = await denied(operator.tasks.cancel([bTask.taskId]));
    expect(cancel.message).toContain(`user rdc-A-operator (operator of team A) may not cancel task ${bTask.taskId}`);
    expect((await admin.tasks.inspect(bTask.taskId)).status).toBe('PENDING');

    // Around the SDK, with the same user: Redis itself refuses.
    const conn = connectionAs('A', 'operator');
    const bQueue = new Queue('tasks', { connection: conn, prefix: teamPrefix('B') });
    bQueue.on('error', () => {});
    await expect(bQueue.add('x', {}, { priority: 1 })).rejects.toThrow(/NOPERM/);
    await expect(bQueue.remove(bTask.taskId)).rejects.toThrow(/NOPERM/);
    await expect(bQueue.getJobCounts()).rejects.toThrow(/NOPERM/);
    await bQueue.close();
    await expect(conn.publish(registryKeys.cancelChannel('B'), bTask.taskId)).rejects.toThrow(/NOPERM/);
    await expect(conn.set(registryKeys.cancelRequest('B', bTask.taskId), '1')).rejects.toThrow(/NOPERM/);
    await expect(conn.hget(registryKeys.machines('B'), 'm1')).rejects.toThrow(/NOPERM/);
    await expect(conn.call('SCAN', '0')).rejects.toThrow(/NOPERM/);
    await expect(conn.call('KEYS', '*')).rejects.toThrow(/NOPERM/);
    await expect(conn.call('FLUSHALL')).rejects.toThrow(/NOPERM/);
    // Its own team's registry is read-only to it.
    await expect(conn.hset(registryKeys.machines('A'), 'evil', '{}')).rejects.toThrow(/NOPERM/);
    await expect(conn.hset(registryKeys.teams, 'evil', '{}')).rejects.toThrow(/NOPERM/);
    await expect(conn.eval("return redis.call('HDEL', KEYS[1], 'm1')", 1, registryKeys.machines('A'))).rejects.toThrow(
      /NOPERM|can't access/,
    );
  });
});

describe('viewer', () => {
  it('reads its team (list, inspect, counts) but cannot create or cancel, and the refused create is audited', async () => {
    const viewer = clientAs('A', 'viewer');
    const task = await admin.tasks.create({ team: 'A', machine: 'm1', command: 'echo v', priority: 3 });
    await refusalsOf('rdc-A-viewer');
    expect((await viewer.tasks.inspect(task.taskId)).status).toBe('PENDING');
    expect((await viewer.tasks.list({ status: 'PENDING' })).map((t) => t.taskId)).toContain(task.taskId);
    expect((await viewer.tasks.counts('A')).pending).toBeGreaterThan(0);
    expect(await refusalsOf('rdc-A-viewer')).toEqual([]);

    const create = await denied(viewer.tasks.create({ team: 'A', machine: 'm1', command: 'id', priority: 1 }));
    expect(create.message).toMatch(/^user rdc-A-viewer \(viewer of team A\) may not create tasks in team A/);
    const cancel = await denied(viewer.tasks.cancel([task.taskId]));
    expect(cancel.message).toMatch(/^user rdc-A-viewer \(viewer of team A\) may not cancel tasks in team A/);
    expect((await admin.tasks.inspect(task.taskId)).status).toBe('PENDING');
    const audit = await raw.xrevrange(registryKeys.auditStream('A', 'rdc-A-viewer'), '+', '-', 'COUNT', 5);
    // In the viewer's own stream (which proves who wrote it); an actor that is the writer is not repeated in it.
    expect(audit.map(([, f]) => f.join(' '))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^action task.create .*outcome denied/)]),
    );
    const read = (await readAudit(raw, 'A')).entries.filter((e) => e.user === 'rdc-A-viewer');
    expect(read).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: 'rdc-A-viewer', team: 'A', action: 'task.create', outcome: 'denied' }),
      ]),
    );

    const conn = connectionAs('A', 'viewer');
    await expect(conn.hset(registryKeys.cancelled('A'), 'x', '1')).rejects.toThrow(/NOPERM/);
    await expect(conn.eval("return redis.call('DEL', KEYS[1])", 1, `${teamPrefix('A')}:tasks:wait`)).rejects.toThrow(
      /can't run this command/,
    );
    await expect(conn.get(`${teamPrefix('B')}:tasks:id`)).rejects.toThrow(/NOPERM/);
  });

  it('only the team admin changes the vault; operators and bridges use secrets by name', async () => {
    const before = await raw.hgetall(registryKeys.vault('A'));
    for (const role of ['operator', 'viewer', 'bridge'] as const) {
      const user = clientAs('A', role);
      const set = await denied(user.vault.set('A', 'API_TOKEN', 'not-stored'));
      expect(set.message).toMatch(new RegExp(`^user rdc-A-${role} \\(${role} of team A\\) may not store secrets`));
    }
    const admins = clientAs('A', 'admin');
    await admins.vault.set('A', 'API_TOKEN', 'stored-by-admin');
    const operator = clientAs('A', 'operator');
    expect((await operator.vault.list('A')).map((e) => e.name)).toContain('API_TOKEN');
    await denied(operator.vault.delete('A', 'API_TOKEN'));
    const task = await operator.tasks.create({ team: 'A', machine: 'm1', command: 'true', secrets: ['API_TOKEN'] });
    expect(task.taskId).toBeTruthy();
    await operator.tasks.cancel([task.taskId]);
    await admins.vault.delete('A', 'API_TOKEN');
    expect(await raw.hgetall(registryKeys.vault('A'))).toEqual(before);
  });
});

describe('bridge', () => {
  it("runs its team's tasks, including a cancel of a running one by the team's operator, with nothing refused", async () => {
    await refusalsOf('rdc-A-bridge');
    const operator = clientAs('A', 'operator');
    const bridge = await startBridge(
      { teamKeys, redisUrl: urlOf('A', 'bridge'), teams: ['A'], batchSize: 2 },
      { logger },
    );
    try {
      const done = await operator.tasks.create({ team: 'A', machine: 'm1', command: 'echo ran', priority: 1 });
      expect((await operator.tasks.wait(done.taskId, { timeoutMs: 20_000 })).output).toContain('ran');
      const long = await operator.tasks.create({ team: 'A', machine: 'm1', command: 'sleep 30', priority: 3 });
      await waitFor(
        'the long task to run',
        async () => ((await operator.tasks.inspect(long.taskId)).status === 'PROCESSING' ? true : undefined),
        15_000,
      );
      const [cancelled] = await operator.tasks.cancel([long.taskId]);
      expect(cancelled).toMatchObject({ outcome: 'cancelled', status: 'CANCELLED' });
      // The bridge's heartbeat, which the team's operator and viewer read.
      for (const role of ['operator', 'viewer'] as const) {
        const live = await clientAs('A', role).bridges.live('A');
        expect(live.map((b) => b.id)).toEqual([bridge.config.name]);
      }
    } finally {
      await bridge.close();
    }
    expect(await operator.bridges.live('A')).toEqual([]);
    expect(await refusalsOf('rdc-A-bridge')).toEqual([]);
    expect(await refusalsOf('rdc-A-operator')).toEqual([]);
    expect(await refusalsOf('rdc-A-viewer')).toEqual([]);
  });

  it('needs nothing more for machine-slot limits, puts back, stall checks and retries', async () => {
    await refusalsOf('rdc-A-bridge');
    const operator = clientAs('A', 'operator');
    const bridge = await startBridge(
      {
        teamKeys,
        redisUrl: urlOf('A', 'bridge'),
        teams: ['A'],
        batchSize: 3,
        maxPerMachine: 1,
        stalledIntervalMs: 500,
        lockDurationMs: 1_000,
      },
      { logger },
    );
    try {
      const created = await operator.tasks.createMany(
        [1, 2, 3].map((i) => ({ team: 'A', machine: 'm1', command: `sleep 0.4; echo ${i}`, priority: 3 })),
      );
      const retried = await operator.tasks.create({
        team: 'A',
        machine: 'm1',
        command: 'exit 2',
        priority: 4,
        maxRetries: 1,
        retryDelay: 0.2,
      });
      for (const { taskId } of created) {
        expect((await operator.tasks.wait(taskId, { timeoutMs: 30_000 })).status).toBe('COMPLETED');
      }
      expect((await operator.tasks.wait(retried.taskId, { timeoutMs: 30_000 })).attempts).toBe(2);
    } finally {
      await bridge.close();
    }
    expect(await refusalsOf('rdc-A-bridge')).toEqual([]);
  });

  it("cannot consume team B's queue: startBridge refuses, and a raw worker never gets B's job", async () => {
    const error = await denied(
      startBridge({ teamKeys, redisUrl: urlOf('A', 'bridge'), teams: ['B'], batchSize: 1 }, { logger }),
    );
    expect(error.message).toMatch(/^user rdc-A-bridge \(bridge of team A\) may not serve this team .* in team B/);

    const bTask = await admin.tasks.create({ team: 'B', machine: 'm1', command: 'echo stolen', priority: 3 });
    const errors: string[] = [];
    let got = false;
    const worker = new Worker(
      'tasks',
      async () => {
        got = true;
      },
      { connection: connectionAs('A', 'bridge'), prefix: teamPrefix('B') },
    );
    worker.on('error', (e) => errors.push(e.message));
    await waitFor('a refusal', () => (errors.length > 0 ? true : undefined), 10_000);
    await worker.close(true);
    expect(got).toBe(false);
    expect(errors.join('\n')).toMatch(/NOPERM|can't access/);
    expect((await admin.tasks.inspect(bTask.taskId)).status).toBe('PENDING');
  });
});

describe('audit stream permissions', () => {
  it.each(['operator', 'viewer', 'bridge'] as Role[])(
    '%s appends to its own audit stream only, and cannot delete, trim or rename any',
    async (role) => {
      const conn = connectionAs('A', role);
      const own = registryKeys.auditStream('A', `rdc-A-${role}`);
      const other = registryKeys.auditStream('A', role === 'bridge' ? 'rdc-A-operator' : 'rdc-A-bridge');
      await raw.xadd(other, '*', 'actor', 'someone-else');
      expect(await conn.xadd(own, '*', 'actor', `rdc-A-${role}`, 'probe', '1')).toMatch(/^\d+-\d+$/);
      expect(await conn.sadd(registryKeys.auditWriters('A'), `rdc-A-${role}`)).toBeGreaterThanOrEqual(0);
      await expect(conn.xadd(other, '*', 'actor', 'forged')).rejects.toThrow(/NOPERM/);
      await expect(conn.xadd(other, 'MAXLEN', 0, '*', 'a', '1')).rejects.toThrow(/NOPERM/);
      await expect(conn.srem(registryKeys.auditWriters('A'), 'rdc-A-bridge')).rejects.toThrow(/NOPERM/);
      for (const key of [own, other]) {
        const id = (await raw.xrevrange(key, '+', '-', 'COUNT', 1))[0]![0];
        await expect(conn.del(key)).rejects.toThrow(/NOPERM/);
        await expect(conn.xdel(key, id)).rejects.toThrow(/NOPERM/);
        await expect(conn.xtrim(key, 'MAXLEN', 0)).rejects.toThrow(/NOPERM/);
        await expect(conn.unlink(key)).rejects.toThrow(/NOPERM/);
        await expect(conn.rename(key, `${teamPrefix('A')}:tasks:gone`)).rejects.toThrow(/NOPERM/);
        await expect(conn.eval("return redis.call('DEL', KEYS[1])", 1, key)).rejects.toThrow(/can't run|NOPERM/);
        expect(await raw.xlen(key)).toBeGreaterThan(0);
      }
      await expect(conn.xadd(registryKeys.auditStream('B', `rdc-A-${role}`), '*', 'a', '1')).rejects.toThrow(/NOPERM/);
    },
  );

  it('the team admin may trim its team’s streams, and still not touch the teams registry', async () => {
    const conn = connectionAs('A', 'admin');
    const key = registryKeys.auditStream('A', 'rdc-A-bridge');
    expect(await conn.xtrim(key, 'MAXLEN', 1_000_000)).toBe(0);
    await expect(conn.hset(registryKeys.teams, 'evil', '{}')).rejects.toThrow(/NOPERM/);
  });
});
