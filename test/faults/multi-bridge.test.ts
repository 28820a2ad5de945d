// Several bridges on one fleet: three `rediacc bridge start` processes (one serving all three teams) share 3,000
// short tasks on four machines (sshds on distinct loopback addresses). Every task runs exactly once (the ids the
// commands append on the machines), every bridge takes a share, and no machine runs more at once than its limit.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient, type TaskView } from '@rediacc/producer';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { CLI_BIN } from '../harness/cli-run.js';
import {
  idCommand,
  loggedCommand,
  maxOverlap,
  type TestMachine,
  tallyIds,
  useHarness,
  waitFor,
} from '../harness/index.js';

const h = useHarness();

const TEAMS = ['alpha', 'beta', 'gamma'];
const MACHINES = ['m1', 'm2', 'm3', 'm4'];
/**
 * A few thousand: tasks waiting for a full machine are parked until a slot frees (no polling), so the bridges spend
 * their time on the runs. About 60 s here on a 2-core box shared with other work.
 */
const TASKS = 3_000;
/** Every bridge's --max-per-machine; m4 has its own, lower limit. */
const PER_MACHINE = 2;
const M4_LIMIT = 1;
const BRIDGES = [
  { name: 'b1', teams: 'alpha,beta,gamma' },
  { name: 'b2', teams: 'alpha,beta' },
  { name: 'b3', teams: 'gamma,alpha' },
];

function startCliBridge(env: NodeJS.ProcessEnv, name: string, teams: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      CLI_BIN,
      'bridge',
      'start',
      '--team',
      teams,
      '--name',
      name,
      '--batch-size',
      '6',
      '--max-per-machine',
      String(PER_MACHINE),
      '--grace',
      '1',
      '--sample-interval',
      'off',
    ],
    { env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  h.own(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return child;
}

/** Commands Redis has run since it started (every client's, the test's polling too). */
async function commandsProcessed(redis: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1] ?? 0);
}

describe('several bridges on one fleet', () => {
  // About a minute here even with the box shared; the bound leaves room for a slower one.
  it('run every task exactly once, each bridge a share, within every machine limit', { timeout: 180_000 }, async () => {
    const startedAt = Date.now();
    const redis = await h.redis();
    const home = await h.tempDir('rdc-home');
    const work = await h.tempDir('multi-bridge');
    const client = createClient({ redis: redis.url });
    h.own(() => client.close());
    // Where `bridge start` looks for the teams' keys by default: $RDC_HOME/keys/TEAM.key.
    const keysDir = join(home, 'keys');
    await mkdir(keysDir, { mode: 0o700 });
    for (const team of TEAMS) {
      const { secretKey } = await client.teams.create(team);
      await writeFile(join(keysDir, `${team}.key`), `${secretKey}\n`, { mode: 0o600 });
    }
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: redis.url, RDC_HOME: home, RDC_LOG_LEVEL: 'warn' };
    delete env.RDC_ACTOR;
    // The bridges start while the machines do: both take seconds on a busy box.
    for (const b of BRIDGES) startCliBridge(env, b.name, b.teams);
    const machines: TestMachine[] = await Promise.all(MACHINES.map((_, i) => h.machine({ host: `127.0.14.${i + 1}` })));
    for (const team of TEAMS) {
      for (const [i, machine] of machines.entries()) {
        await client.machines.add({
          name: MACHINES[i] ?? '',
          team,
          host: machine.host,
          port: machine.port,
          user: machine.user,
          keyFile: machine.privateKeyPath,
          hostKeyFingerprint: machine.hostKeyFingerprint,
          ...(MACHINES[i] === 'm4' && { maxConcurrent: M4_LIMIT }),
        });
      }
    }
    await waitFor(
      'the three bridges to be up',
      async () => ((await client.bridges.list()).length === BRIDGES.length ? true : undefined),
      45_000,
      250,
    );
    console.log(`multi-bridge: fleet and bridges up after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);

    // Task i goes to team i%3 and every team has work on every machine, in proportion to the machine's limit (m4,
    // limited to one, gets half as many as the others): no machine holds the rest up.
    const cycle = MACHINES.flatMap((m) => Array<string>(m === 'm4' ? M4_LIMIT : PER_MACHINE).fill(m));
    const fileOf = (team: string, machine: string, kind: 'ids' | 'runs') => join(work, `${team}-${machine}.${kind}`);
    const specs = Array.from({ length: TASKS }, (_, i) => {
      const team = TEAMS[i % TEAMS.length] ?? '';
      const machine = cycle[Math.floor(i / TEAMS.length) % cycle.length] ?? '';
      return {
        team,
        machine,
        // Long enough (0.2 s) that, without the limits, a machine would run three or four at once.
        command: loggedCommand(
          fileOf(team, machine, 'runs'),
          '$RDC_TASK_ID',
          idCommand(fileOf(team, machine, 'ids'), 'sleep 0.2'),
        ),
      };
    });
    const created: { taskId: string; team: string; machine: string }[] = [];
    for (let i = 0; i < specs.length; i += 500) {
      const chunk = specs.slice(i, i + 500);
      const ids = await client.tasks.createMany(chunk);
      created.push(...ids.map((t, j) => ({ ...(chunk[j] ?? { team: '', machine: '' }), taskId: t.taskId })));
    }

    const queuedAt = Date.now();
    const commandsBefore = await commandsProcessed(client.redis);
    const perTeam = TASKS / TEAMS.length;
    await waitFor(
      'every task to finish',
      async () => {
        const counts = await Promise.all(TEAMS.map((team) => client.tasks.counts(team)));
        return counts.every((c) => c.completed + c.failed === perTeam) ? true : undefined;
      },
      120_000,
      250,
    );
    const ranS = (Date.now() - queuedAt) / 1000;
    const commands = (await commandsProcessed(client.redis)) - commandsBefore;
    console.log(
      `multi-bridge: ${TASKS} tasks ran in ${ranS.toFixed(1)} s (${(TASKS / ranS).toFixed(0)} tasks/s), ` +
        `${(commands / TASKS).toFixed(0)} Redis commands per task`,
    );
    const views: TaskView[] = (
      await Promise.all(TEAMS.map((team) => client.tasks.list({ team, limit: 10_000 })))
    ).flat();
    expect(views).toHaveLength(TASKS);
    const notCompleted = views.filter((v) => v.status !== 'COMPLETED');
    expect(notCompleted.map((v) => `${v.taskId} ${v.status} ${v.error}`)).toEqual([]);

    // Exactly once, on its own machine: each (team, machine) file holds exactly the ids of its tasks.
    for (const team of TEAMS) {
      for (const machine of MACHINES) {
        const expected = created.filter((t) => t.team === team && t.machine === machine).map((t) => t.taskId);
        expect(tallyIds([fileOf(team, machine, 'ids')], expected), `${team}/${machine}`).toEqual({
          duplicates: {},
          missing: [],
          unexpected: [],
        });
      }
    }

    // Spread: every bridge ran some of the tasks (the bridge that ran a task is in its record).
    const byBridge = new Map<string, number>();
    for (const v of views) byBridge.set(v.bridge ?? '?', (byBridge.get(v.bridge ?? '?') ?? 0) + 1);
    console.log(`multi-bridge: tasks per bridge ${JSON.stringify(Object.fromEntries(byBridge))}`);
    expect([...byBridge.keys()].sort()).toEqual(BRIDGES.map((b) => b.name));
    for (const b of BRIDGES) expect(byBridge.get(b.name), b.name).toBeGreaterThan(0);

    // Limits, on the machine's own clock: runs of one machine record never overlapped beyond its limit.
    const overlaps: Record<string, number> = {};
    for (const team of TEAMS) {
      for (const machine of MACHINES) {
        const most = await maxOverlap(fileOf(team, machine, 'runs'));
        overlaps[`${team}/${machine}`] = most;
        expect(most, `${team}/${machine}`).toBeLessThanOrEqual(machine === 'm4' ? M4_LIMIT : PER_MACHINE);
      }
    }
    console.log(`multi-bridge: most runs at once per machine ${JSON.stringify(overlaps)}`);
    // The check above can see an overlap at all: somewhere, a machine ran two at once.
    expect(Math.max(...Object.values(overlaps))).toBe(PER_MACHINE);
  });
});
