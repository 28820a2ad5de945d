// acl apply|show, audit and audit export, and team create's key file, driven through the rediacc CLI as a user
// would: spawned processes with REDIS_URLs printed by acl apply, parsed --json output, exit codes.
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { auditEntrySchema } from '@rediacc/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, type CliRun, machineAddArgs, runCli } from '../harness/cli-run.js';
import { type TestMachine, useHarness } from '../harness/index.js';

const h = useHarness();
let env: NodeJS.ProcessEnv;
let home: string;
let machine: TestMachine;
let users: { team: string; role: string; user: string; url: string }[];

function rediacc(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runCli(args, { env: { ...env, ...extraEnv } });
}

function as(team: string, role: string): NodeJS.ProcessEnv {
  const user = users.find((u) => u.team === team && u.role === role);
  if (!user) throw new Error(`no ${role} of ${team}`);
  return { REDIS_URL: user.url };
}

async function addMachine(team: string, name: string): Promise<void> {
  const add = await rediacc(machineAddArgs(machine, team, name));
  expect(add.code, add.stderr).toBe(0);
}

beforeAll(async () => {
  const redis = await h.redis();
  machine = await h.machine();
  home = await h.tempDir('rdc-home-');
  env = { ...process.env, REDIS_URL: redis.url, RDC_HOME: home, RDC_LOG_LEVEL: 'warn' };
  delete env.RDC_ACTOR;
  for (const team of ['Ops', 'Dev']) expect((await rediacc(['team', 'create', team])).code).toBe(0);
  await addMachine('Ops', 'web-01');
  await addMachine('Dev', 'dev-01');
  const apply = await rediacc(['acl', 'apply', '--json']);
  expect(apply.code, apply.stderr).toBe(0);
  users = JSON.parse(apply.stdout);
});

describe('rediacc team create', () => {
  it('writes the vault key once: creating an existing team fails and leaves its key file as it was', async () => {
    const path = join(home, 'keys', 'Ops.key');
    const before = await readFile(path, 'utf8');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'keys'))).mode & 0o777).toBe(0o700);
    const again = await rediacc(['team', 'create', 'Ops']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('RDC_TEAM_EXISTS');
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it('refuses to create a team whose key file already exists, and creates nothing', async () => {
    const path = join(home, 'keys', 'Old.key');
    await writeFile(path, 'the only copy of an old key\n', { mode: 0o600 });
    const create = await rediacc(['team', 'create', 'Old']);
    expect(create.code).toBe(1);
    expect(create.stderr).toContain(`error RDC_KEY_FILE_EXISTS: a vault key for team "Old" already exists at ${path}`);
    expect(await readFile(path, 'utf8')).toBe('the only copy of an old key\n');
    const teams = JSON.parse((await rediacc(['team', 'list', '--json'])).stdout);
    expect(teams.map((t: { name: string }) => t.name)).toEqual(['Dev', 'Ops']);
  });
});

describe('rediacc acl', () => {
  it('apply prints team, role, user and a REDIS_URL per user, and says how to lock down the default user', async () => {
    expect(users.map((u) => `${u.team}/${u.role}/${u.user}`).sort()).toEqual(
      [
        '*/admin/rdc-admin',
        ...['Dev', 'Ops'].flatMap((t) =>
          ['admin', 'operator', 'viewer', 'bridge'].map((r) => `${t}/${r}/rdc-${t}-${r}`),
        ),
      ].sort(),
    );
    for (const u of users) expect(Object.keys(u).sort()).toEqual(['newPassword', 'role', 'team', 'url', 'user']);
    const again = await rediacc(['acl', 'apply', '--team', 'Ops']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('rdc-Ops-operator');
    expect(again.stdout).toContain('(password unchanged)');
    expect(again.stderr).toContain('ACL SETUSER default off');
    expect(again.stderr).toContain('memory only');
  });

  it('show prints the rules the server holds, without password hashes', async () => {
    const show = await rediacc(['acl', 'show', '--team', 'Ops', '--json']);
    expect(show.code, show.stderr).toBe(0);
    const entries = JSON.parse(show.stdout) as { user: string; applied: boolean; rules: string }[];
    const viewer = entries.find((e) => e.user === 'rdc-Ops-viewer')!;
    expect(viewer.applied).toBe(true);
    expect(viewer.rules).toContain('%R~rdc:{Ops}:*');
    expect(viewer.rules).toContain('(~rdc:{Ops}:audit:rdc-Ops-viewer resetchannels -@all +xadd)');
    expect(show.stdout).not.toMatch(/#[0-9a-f]{64}/);
    const text = await rediacc(['acl', 'show', '--team', 'Ops']);
    expect(text.stdout).toContain('rdc-Ops-bridge (bridge of team Ops)');
  });

  it('is refused to a team user with RDC_ACCESS_DENIED and exit 1', async () => {
    const run = await rediacc(['acl', 'apply'], as('Ops', 'admin'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error RDC_ACCESS_DENIED: user rdc-Ops-admin \(admin of team Ops\) may not change/);
    expect(run.stderr).toContain('fix: ');
  });
});

describe('team isolation from the CLI', () => {
  it('an operator cannot create tasks in another team; the error names the user, its role and the team', async () => {
    const run = await rediacc(
      ['create', 'task', '--team', 'Dev', '--machine', 'dev-01', '--command', 'id'],
      as('Ops', 'operator'),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^error RDC_ACCESS_DENIED: user rdc-Ops-operator \(operator of team Ops\) may not create tasks in team Dev/,
    );
    expect(run.stderr).toContain('rediacc acl apply');
  });

  it('a viewer lists its own team only and cannot create', async () => {
    const created = await rediacc(
      ['create', 'task', '--team', 'Ops', '--machine', 'web-01', '--command', 'echo', '--json'],
      as('Ops', 'operator'),
    );
    expect(created.code, created.stderr).toBe(0);
    await rediacc(['create', 'task', '--team', 'Dev', '--machine', 'dev-01', '--command', 'echo']);
    const list = await rediacc(['list', 'queue', '--json'], as('Ops', 'viewer'));
    expect(list.code, list.stderr).toBe(0);
    expect(new Set(JSON.parse(list.stdout).map((t: { team: string }) => t.team))).toEqual(new Set(['Ops']));
    const create = await rediacc(
      ['create', 'task', '--team', 'Ops', '--machine', 'web-01', '--command', 'id'],
      as('Ops', 'viewer'),
    );
    expect(create.code).toBe(1);
    expect(create.stderr).toContain('user rdc-Ops-viewer (viewer of team Ops) may not create tasks in team Ops');
    const cancel = await rediacc(
      ['cancel', 'queue', JSON.parse(created.stdout).taskId, '--confirm'],
      as('Ops', 'viewer'),
    );
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toContain('RDC_ACCESS_DENIED');
  });
});

describe('rediacc audit', () => {
  it('shows the entries of every team the caller may read, as a JSON array, naming RDC_ACTOR when set', async () => {
    const made = await rediacc(
      ['create', 'task', '--team', 'Ops', '--machine', 'web-01', '--command', 'true', '--json'],
      { ...as('Ops', 'operator'), RDC_ACTOR: 'alice@ops' },
    );
    const { taskId } = JSON.parse(made.stdout);
    const run = await rediacc(['audit', '--json'], as('Ops', 'viewer'));
    expect(run.code, run.stderr).toBe(0);
    const entries = JSON.parse(run.stdout) as { team: string; actor: string; action: string; target: string }[];
    expect(new Set(entries.map((e) => e.team))).toEqual(new Set(['Ops']));
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: 'default', action: 'team.create', target: 'Ops' }),
        expect.objectContaining({ actor: 'default', action: 'acl.apply', target: 'rdc-Ops-viewer' }),
        expect.objectContaining({ actor: 'alice@ops', action: 'task.create', target: taskId }),
        expect.objectContaining({ actor: 'rdc-Ops-viewer', action: 'task.create', outcome: 'denied' }),
      ]),
    );
    const all = JSON.parse((await rediacc(['audit', '--json'])).stdout) as { team: string }[];
    expect(new Set(all.map((e) => e.team))).toEqual(new Set(['Ops', 'Dev']));
    const table = await rediacc(['audit', '--team', 'Ops', '--since', '1h']);
    expect(table.stdout.split('\n')[0]).toMatch(/^at\s+team\s+actor\s+action\s+target\s+outcome\s+detail/);
  });

  it("refuses another team's log to a team user", async () => {
    const run = await rediacc(['audit', '--team', 'Dev'], as('Ops', 'viewer'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^error RDC_ACCESS_DENIED: user rdc-Ops-viewer \(viewer of team Ops\) may not read the audit log in team Dev/,
    );
  });

  it.each([
    [['audit', '--since', '2x'], '--since'],
    [['audit', '--since', '0h'], '--since'],
    [['audit', '--limit', '0'], '--limit'],
    [['audit', '--team', 'a:b'], '--team'],
    [['audit', 'export', '--since', 'yesterday'], '--since'],
  ])('rejects %j with exit 2 and a message naming %s', async (args, flag) => {
    const run = await rediacc(args);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toContain(flag);
  });

  it('rejects an RDC_ACTOR that is not a plain name, with exit 2', async () => {
    const run = await rediacc(['audit'], { RDC_ACTOR: 'alice smith' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('RDC_ACTOR: actor must be');
  });

  it('export writes one valid entry per line, oldest first', async () => {
    const run = await rediacc(['audit', 'export', '--since', '30d']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(10);
    const entries = lines.map((line) => auditEntrySchema.parse(JSON.parse(line)));
    const times = entries.map((e) => Number(e.id.split('-')[0]));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('--follow prints entries as they are appended, until interrupted', async () => {
    const child = spawn(process.execPath, [CLI_BIN, 'audit', '--follow', '--json', '--since', '1s', '--team', 'Dev'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      const made = await rediacc(['create', 'task', '--team', 'Dev', '--machine', 'dev-01', '--command', 'true']);
      const taskId = made.stdout.trim();
      const deadline = Date.now() + 10_000;
      while (!out.includes(taskId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const line = out.split('\n').find((l) => l.includes(taskId));
      expect(line && JSON.parse(line)).toMatchObject({ action: 'task.create', target: taskId, team: 'Dev' });
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  });
});
