// A machine's network fails mid-task: three sshds, each in its own network namespace behind a veth pair, and one
// link taken down while a task runs there. The running task fails once the connection's keepalives go
// unanswered and it cannot reconnect; a queued task without retries fails, one with retries waits them out
// and runs once the link is back; the other machines go on completing tasks meanwhile.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@rediacc/producer';
import { describe, expect, it } from 'vitest';
import {
  type IsolatedMachine,
  idCommand,
  isolatedMachine,
  netnsUnavailable,
  startBridgeProcess,
  tallyIds,
  useHarness,
  waitFor,
} from '../harness/index.js';
import { lines } from './fleet-faults.js';

const unavailable = await netnsUnavailable();
if (unavailable) console.log(`network-cut: skipped, ${unavailable}`);

const h = useHarness();

describe.skipIf(unavailable !== undefined)('network cut', () => {
  it('fails the task running over the cut link, queued ones per their retries, while other machines go on', async () => {
    const redisUrl = (await h.redis()).url;
    const client = createClient({ redis: redisUrl });
    h.own(() => client.close());
    const team = 'netcut';
    const keysDir = await h.tempDir('team-keys');
    const work = await h.tempDir('network-cut');
    const { secretKey } = await client.teams.create(team);
    await writeFile(join(keysDir, `${team}.key`), `${secretKey}\n`, { mode: 0o600 });
    const hosts: IsolatedMachine[] = [];
    for (const i of [1, 2, 3]) {
      const host = await isolatedMachine(h, i);
      hosts.push(host);
      const { machine } = host;
      await client.machines.add({
        name: `m${i}`,
        team,
        host: machine.host,
        port: machine.port,
        user: machine.user,
        keyFile: machine.privateKeyPath,
        hostKeyFingerprint: machine.hostKeyFingerprint,
        // One at a time on m1: the tasks created after the first one queue behind it.
        ...(i === 1 && { maxConcurrent: 1 }),
      });
    }
    const [cutHost] = hosts;
    if (!cutHost) throw new Error('no machines');
    // A dead link shows in 3 unanswered keepalives a second apart; a reconnect gives up after 2 s.
    const bridge = await startBridgeProcess(h, {
      name: 'bridge-a',
      redisUrl,
      teams: [team],
      keysDir,
      batchSize: 10,
      keepaliveIntervalMs: 1_000,
      keepaliveCountMax: 3,
      connectTimeoutMs: 2_000,
      failFastMs: 1_000,
      sampleIntervalMs: 0,
    });
    const ids = (machine: string) => join(work, `${machine}.ids`);
    const others = (n: number) =>
      Array.from({ length: n }, (_, i) => {
        const machine = i % 2 === 0 ? 'm2' : 'm3';
        return { team, machine, command: idCommand(ids(machine)) };
      });

    const before = await client.tasks.createMany(others(20));
    const running = await client.tasks.create({
      team,
      machine: 'm1',
      command: idCommand(ids('m1'), 'sleep 15'),
      maxRetries: 0,
    });
    await waitFor('the task on m1 to run', async () =>
      (await client.tasks.inspect(running.taskId)).status === 'PROCESSING' && lines(ids('m1')).length === 1
        ? true
        : undefined,
    );

    await cutHost.cut();
    const cutAt = Date.now();
    const failing = await client.tasks.create({ team, machine: 'm1', command: idCommand(ids('m1')), maxRetries: 0 });
    const patient = await client.tasks.create({
      team,
      machine: 'm1',
      command: idCommand(ids('m1')),
      maxRetries: 30,
      retryDelay: 1,
    });
    const after = await client.tasks.createMany(others(40));
    try {
      const done = await Promise.all(
        [...before, ...after].map((t) => client.tasks.wait(t.taskId, { timeoutMs: 40_000 })),
      );
      expect(done.filter((v) => v.status !== 'COMPLETED').map((v) => `${v.machine} ${v.status} ${v.error}`)).toEqual(
        [],
      );
      const lost = await client.tasks.wait(running.taskId, { timeoutMs: 40_000 });
      console.log(
        `network-cut: the running task failed ${(Date.parse(lost.completedAt ?? '') - cutAt) / 1000} s after the cut`,
      );
      expect(lost, lost.error ?? '').toMatchObject({ status: 'FAILED', errorCode: 'RDC_SSH_CONNECT' });
      // The link is down: the reconnects find no route to the machine (or no answer within the connect timeout).
      const unreachable = /^SSH to netcut\/m1: (cannot connect to|connecting to) 10\.\d+\.1\.2:22/;
      expect(lost.error).toMatch(unreachable);
      // It failed the way a dead link shows: keepalives unanswered, then reconnecting to re-attach failed.
      const lostLines = bridge
        .log()
        .split('\n')
        .filter((line) => line.includes(running.taskId) && line.includes('SSH connection lost during the run'));
      expect(lostLines.length).toBeGreaterThan(0);
      const refused = await client.tasks.wait(failing.taskId, { timeoutMs: 40_000 });
      expect(refused, refused.error ?? '').toMatchObject({ status: 'FAILED', errorCode: 'RDC_SSH_CONNECT' });
      expect(refused.error).toMatch(unreachable);
      // Still cut: the task with retries left is waiting for its next try, not failed. Between tries it is PENDING;
      // during one (a connect that times out) it is ASSIGNED, so look until it is seen waiting.
      await waitFor(
        'the task with retries left to wait for its next try',
        async () => {
          const task = await client.tasks.inspect(patient.taskId);
          expect(['PENDING', 'ASSIGNED'], `${task.status} ${task.error ?? ''}`).toContain(task.status);
          return task.status === 'PENDING' ? task : undefined;
        },
        15_000,
        20,
      );
    } finally {
      await cutHost.restore();
    }
    const resumed = await client.tasks.wait(patient.taskId, { timeoutMs: 40_000 });
    expect(resumed, resumed.error ?? '').toMatchObject({ status: 'COMPLETED' });
    expect(resumed.retriesUsed).toBeGreaterThan(0);

    // Exactly once everywhere: the cut task was not started again, the refused one never ran.
    expect(tallyIds([ids('m1')], [running.taskId, patient.taskId])).toEqual({
      duplicates: {},
      missing: [],
      unexpected: [],
    });
    const elsewhere = [...before, ...after].map((t) => t.taskId);
    expect(tallyIds([ids('m2'), ids('m3')], elsewhere)).toEqual({ duplicates: {}, missing: [], unexpected: [] });
  });
});
