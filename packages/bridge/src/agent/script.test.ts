// The agent script run as a real local process (no SSH): what it does on a machine, exercised directly.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from './events.js';
import { alive, exists, LocalAgent, settledOn, sleep } from './local-agent.test-kit.js';
import { cleanLine, killLine, runLine, shellQuote } from './script.js';

let agent: LocalAgent;
let dir: string;
// Run ids are unique per test process, as task ids are: the run directory is shared by everyone on this host.
const prefix = `t${process.pid}-${Date.now()}`;
const id = (name: string) => `${prefix}-${name}`;

beforeAll(async () => {
  agent = new LocalAgent();
  const hello = await agent.next((e): e is Extract<AgentEvent, { type: 'hello' }> => e.type === 'hello');
  dir = hello.dir;
  expect(hello.mode).toBe('m');
});

afterAll(() => {
  agent.child.stdin.end();
});

const run = (id: string, command: string, extra: Partial<Parameters<typeof runLine>[0]> = {}) =>
  agent.send(runLine({ id, command, deadlineSeconds: 0, graceSeconds: 1, ...extra }));

describe('the agent script', () => {
  it('never starts a run id twice: a second agent asking for the same run gets B, and the first run goes on', async () => {
    const other = new LocalAgent();
    try {
      await other.next((e): e is Extract<AgentEvent, { type: 'hello' }> => e.type === 'hello');
      const marks = `${dir}/${id('once')}.marks`;
      run(id('once'), `echo x >> ${marks}; sleep 1`);
      await agent.next((e): e is AgentEvent => e.type === 'started' && e.id === id('once'));
      other.send(runLine({ id: id('once'), command: `echo x >> ${marks}`, deadlineSeconds: 0, graceSeconds: 1 }));
      expect(await other.next((e): e is AgentEvent => e.type === 'busy')).toEqual({ type: 'busy', id: id('once') });
      // The same agent asking again is refused too; the run it started ends as usual.
      run(id('once'), `echo x >> ${marks}`);
      expect(await agent.next((e): e is AgentEvent => e.type === 'busy')).toEqual({ type: 'busy', id: id('once') });
      expect((await agent.exited(id('once'))).code).toBe(0);
      expect(readFileSync(marks, 'utf8')).toBe('x\n');
      // Once its files are cleaned (a retry starts afresh), the id may run again.
      agent.send(cleanLine([id('once')]));
      run(id('once'), 'true');
      expect((await agent.exited(id('once'))).code).toBe(0);
    } finally {
      other.child.stdin.end();
    }
  });

  it('runs a command in the login shell, spools its output and reports its exit code', async () => {
    run(id('a1'), "echo {1..3}; echo 'it''s' \"$RDC_TASK_ID\"\necho err >&2; exit 3");
    expect((await agent.exited(id('a1'))).code).toBe(3);
    expect(readFileSync(`${dir}/${id('a1')}.out`, 'utf8')).toBe(`1 2 3\nits ${id('a1')}\nerr\n`);
    expect(await agent.probe(id('a1'))).toEqual({ state: 'done', code: 3, deadline: false });
  });

  it('gives each run its own process group, killed as a whole', async () => {
    run(id('a2'), 'sleep 30 & echo $! > "$RDC_RUN.child"; sleep 30');
    await agent.next((e): e is AgentEvent => e.type === 'started' && e.id === id('a2'));
    expect((await agent.probe(id('a2'))).state).toBe('running');
    let child = 0;
    for (let i = 0; i < 250 && !(child > 1); i++) {
      await sleep(20);
      child = exists(`${dir}/${id('a2')}.child`) ? Number(readFileSync(`${dir}/${id('a2')}.child`, 'utf8')) : 0;
    }
    expect(child).toBeGreaterThan(1);
    agent.send(killLine(id('a2'), 1));
    for (let i = 0; i < 100 && alive(child); i++) await sleep(20);
    expect(alive(child)).toBe(false);
    // Killed runs record no code of their own; the agent's `wait` knows the signal: TERM, or KILL after the
    // grace when the TERM landed between two commands (the shell defers its trap until the next one ends).
    const killed = await settled(id('a2'));
    expect(killed).toMatchObject({ state: 'dead', deadline: false });
    expect([143, 137]).toContain((killed as { code: number }).code);
  });

  it('knows how a run that replaced its shell with exec ended', async () => {
    run(id('a3'), 'exec sh -c "exit 7"');
    await agent.next((e): e is AgentEvent => e.type === 'started' && e.id === id('a3'));
    expect(await settled(id('a3'))).toEqual({ state: 'dead', code: 7, deadline: false });
  });

  it('kills a run at its remote deadline even with no bridge watching', async () => {
    run(id('a4'), 'sleep 30', { deadlineSeconds: 1, graceSeconds: 1 });
    await agent.next((e): e is AgentEvent => e.type === 'started' && e.id === id('a4'));
    const killed = await settled(id('a4'));
    expect(killed).toMatchObject({ state: 'dead', deadline: true });
    expect([143, 137]).toContain((killed as { code: number }).code);
  });

  it('hands secrets to the run only, through the environment', async () => {
    run(id('a5'), 'printf "%s|" "$TOKEN"; env | grep -c "^TOKEN=" || true', { env: { TOKEN: "s'e\ncr et" } });
    expect((await agent.exited(id('a5'))).code).toBe(0);
    expect(readFileSync(`${dir}/${id('a5')}.out`, 'utf8')).toBe("s'e\ncr et|1\n");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, evaluated by the run
    run(id('a6'), 'printf "[%s]" "${TOKEN-unset}"');
    await agent.exited(id('a6'));
    expect(readFileSync(`${dir}/${id('a6')}.out`, 'utf8')).toBe('[unset]');
  });

  it("keeps secrets out of the deadline watcher's environment: only the run has them", async () => {
    run(id('a8'), 'sleep 2', { env: { TOKEN: 'watcher-must-not-see' }, deadlineSeconds: 30, graceSeconds: 1 });
    const started = await agent.next((e): e is AgentEvent => e.type === 'started' && e.id === id('a8'));
    const runPid = (started as { pid: number }).pid;
    let watcher = '';
    for (let i = 0; i < 100 && !/^\d+\n?$/.test(watcher); i++) {
      await new Promise((r) => setTimeout(r, 20));
      watcher = exists(`${dir}/${id('a8')}.w`) ? readFileSync(`${dir}/${id('a8')}.w`, 'utf8') : '';
    }
    const environ = (pid: number | string) => readFileSync(`/proc/${String(pid).trim()}/environ`, 'utf8');
    // The watcher is a subshell (its environ is the agent's at exec); what it runs (its `sleep`) gets what it exports.
    const children = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
          return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] === watcher.trim();
        } catch {
          return false;
        }
      });
    expect(children.length, 'the watcher runs its sleep').toBeGreaterThan(0);
    expect(environ(runPid)).toContain('TOKEN=watcher-must-not-see');
    for (const pid of [watcher, ...children]) expect(environ(pid)).not.toContain('watcher-must-not-see');
    expect((await agent.exited(id('a8'))).code).toBe(0);
  });

  it('forgets runs: their files go, and a probe finds them absent', async () => {
    agent.send(cleanLine([id('a1'), id('a2'), id('a3'), id('a4'), id('a5'), id('a6'), id('a8')]));
    expect(await agent.probe(id('a1'))).toEqual({ state: 'absent' });
    expect(exists(`${dir}/${id('a4')}.out`)).toBe(false);
  });

  it('forgets runs in the background: the agent answers at once, and the files go meanwhile', async () => {
    run(id('bg1'), 'echo one');
    expect((await agent.exited(id('bg1'))).code).toBe(0);
    expect(exists(`${dir}/${id('bg1')}.out`)).toBe(true);
    agent.send(cleanLine([id('bg1')], { background: true }));
    expect(cleanLine([id('bg1')], { background: true })).toMatch(/^C /);
    for (let i = 0; i < 250 && exists(`${dir}/${id('bg1')}.out`); i++) await sleep(20);
    expect(exists(`${dir}/${id('bg1')}.out`)).toBe(false);
    expect(await agent.probe(id('bg1'))).toEqual({ state: 'absent' });
  });

  it('passes any command through intact, one request per line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')),
        async (text) => {
          run(id('a7'), `printf '%s' ${shellQuote(text)}`);
          expect((await agent.exited(id('a7'))).code).toBe(0);
          expect(readFileSync(`${dir}/${id('a7')}.out`, 'utf8')).toBe(text);
          agent.send(cleanLine([id('a7')]));
          await agent.probe(id('a7'));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('refuses run ids and environment names that could escape their quoting', () => {
    expect(() => runLine({ id: 'a;rm -rf /', command: 'true', deadlineSeconds: 0, graceSeconds: 1 })).toThrow();
    expect(() =>
      runLine({ id: 'a', command: 'true', deadlineSeconds: 0, graceSeconds: 1, env: { 'A=B; x': 'v' } }),
    ).toThrow();
    expect(() =>
      runLine({ id: 'a', command: 'true', deadlineSeconds: 0, graceSeconds: 1, env: { RDC_RUN: 'v' } }),
    ).toThrow();
    // The agent's own names (agent.sh): a task's environment must not change where its runs live.
    for (const name of ['rdc_dir', 'rdc_mode', 'nl']) {
      expect(() =>
        runLine({ id: 'a', command: 'true', deadlineSeconds: 0, graceSeconds: 1, env: { [name]: 'v' } }),
      ).toThrow();
    }
    expect(runLine({ id: 'a', command: 'x\ny', deadlineSeconds: 0, graceSeconds: 1 })).not.toContain('\n');
  });
});

describe.each([
  ['bash', 'm', 'm'],
  ['bash', 's', 's'],
  ['bash', 'n', 'n'],
  // dash has job control only on a tty: asked for set -m, the agent takes setsid instead.
  ['dash', 'm', 's'],
  ['dash', 's', 's'],
  ['dash', 'n', 'n'],
] as const)('the agent under %s, asked for process-group mode %s', (shell, asked, mode) => {
  let local: LocalAgent;
  let localDir: string;

  beforeAll(async () => {
    local = new LocalAgent(shell, asked);
    const hello = await local.hello();
    localDir = hello.dir;
    expect(hello.mode).toBe(mode);
  });

  afterAll(() => {
    local.child.stdin.end();
  });

  const runId = (name: string) => id(`${shell}-${asked}-${name}`);
  const start = async (name: string, command: string, deadlineSeconds = 0) => {
    local.send(runLine({ id: runId(name), command, deadlineSeconds, graceSeconds: 1 }));
    return (await local.started(runId(name))).pid;
  };
  /** The run's pids: its shell, and the pid of a background child it wrote to $RDC_RUN.child. */
  const tree = async (name: string, shellPid: number) => {
    let child = 0;
    for (let i = 0; i < 250 && !(child > 1); i++) {
      await sleep(20);
      child = exists(`${localDir}/${runId(name)}.child`)
        ? Number(readFileSync(`${localDir}/${runId(name)}.child`, 'utf8'))
        : 0;
    }
    expect(child).toBeGreaterThan(1);
    expect(alive(shellPid)).toBe(true);
    return [shellPid, child];
  };

  it(`runs a command under ${shell} and reports its exit code, with its small output`, async () => {
    await start('exit', 'echo out; exit 5');
    expect(await local.exited(runId('exit'))).toMatchObject({ code: 5, output: Buffer.from('out\n') });
    expect(readFileSync(`${localDir}/${runId('exit')}.out`, 'utf8')).toBe('out\n');
    expect(await local.probe(runId('exit'))).toEqual({ state: 'done', code: 5, deadline: false });
  });

  it('hands out slices of the output as frames on its stderr, bytes intact (no SFTP needed)', async () => {
    await start('read', "printf 'abc\\000def\\n'; printf 'x%.0s' 1 2 3");
    const all = Buffer.from('abc\0def\nxxx');
    expect(await local.exited(runId('read'))).toMatchObject({ code: 0, output: all });
    expect(await local.frames.read(runId('read'), 0, 100)).toEqual({ size: 11, bytes: all });
    expect(await local.frames.read(runId('read'), 2, 3)).toEqual({ size: 11, bytes: all.subarray(2, 5) });
    expect(await local.frames.read(runId('read'), 11, 10)).toEqual({ size: 11, bytes: Buffer.alloc(0) });
    expect(await local.frames.read(runId('nothing'), 0, 10)).toEqual({ size: 0, bytes: Buffer.alloc(0) });
  });

  it('sends any small output with the end (invalid UTF-8 too), an empty one as 0 bytes, a large one not', async () => {
    await start('bin', "printf 'a\\000\\377\\n\\n' >&2");
    expect(await local.exited(runId('bin'))).toMatchObject({ output: Buffer.from([0x61, 0, 0xff, 10, 10]) });
    await start('none', 'true');
    expect(await local.exited(runId('none'))).toEqual({
      type: 'exited',
      id: runId('none'),
      code: 0,
      bytes: 0,
      output: Buffer.alloc(0),
    });
    await start('big', 'i=0; while [ $i -lt 400 ]; do echo 123456789; i=$((i + 1)); done');
    expect(await local.exited(runId('big'))).toEqual({ type: 'exited', id: runId('big'), code: 0 });
    local.send(cleanLine(['bin', 'none', 'big'].map(runId)));
    expect(await local.probe(runId('bin'))).toEqual({ state: 'absent' });
  });

  it('kills the whole process tree of a run on request', async () => {
    const pids = await tree('kill', await start('kill', 'sleep 30 & echo $! > "$RDC_RUN.child"; sleep 30'));
    local.send(killLine(runId('kill'), 1));
    for (let i = 0; i < 150 && pids.some(alive); i++) await sleep(20);
    expect(pids.filter(alive)).toEqual([]);
    const killed = await settledOn(local, runId('kill'));
    expect(killed).toMatchObject({ state: 'dead', deadline: false });
  }, 20_000);

  it('kills the whole process tree of a run at its remote deadline', async () => {
    const pids = await tree('deadline', await start('deadline', 'sleep 30 & echo $! > "$RDC_RUN.child"; sleep 30', 1));
    for (let i = 0; i < 250 && pids.some(alive); i++) await sleep(20);
    expect(pids.filter(alive)).toEqual([]);
    expect(await settledOn(local, runId('deadline'))).toMatchObject({ state: 'dead', deadline: true });
    local.send(cleanLine(['exit', 'read', 'kill', 'deadline'].map(runId)));
    expect(await local.probe(runId('kill'))).toEqual({ state: 'absent' });
  }, 20_000);
});

/** Probes until the run is no longer running (at most 5 s). */
function settled(id: string) {
  return settledOn(agent, id);
}

describe('the agent on a machine whose head has no -c', () => {
  it('cuts output slices with dd instead, bytes intact', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'rdc-no-head-c-'));
    try {
      // A head that knows no options, as on systems whose head is strictly POSIX.
      writeFileSync(join(bin, 'head'), '#!/bin/sh\necho "head: unknown option $1" >&2\nexit 2\n', { mode: 0o755 });
      const local = new LocalAgent('dash', undefined, { PATH: `${bin}:${process.env.PATH}` });
      try {
        await local.hello();
        const rid = id('nohead');
        local.send(runLine({ id: rid, command: "printf 'abc\\000def\\n'", deadlineSeconds: 0, graceSeconds: 1 }));
        expect(await local.exited(rid)).toMatchObject({ code: 0, output: Buffer.from('abc\0def\n') });
        expect(await local.frames.read(rid, 1, 5)).toEqual({ size: 8, bytes: Buffer.from('bc\0de') });
        expect(await local.frames.read(rid, 0, 100)).toEqual({ size: 8, bytes: Buffer.from('abc\0def\n') });
        local.send(cleanLine([rid]));
        expect(await local.probe(rid)).toEqual({ state: 'absent' });
      } finally {
        local.child.stdin.end();
      }
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
