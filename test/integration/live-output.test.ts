// Live output: a running task's output reaches `tasks.watch` and `inspect queue ID --follow` while the command
// still runs; the output kept with the result is capped, head and tail kept and the cut marked.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { createClient, type TaskEvent } from '@rediacc/producer';
import { beforeAll, describe, expect, it } from 'vitest';
import { addTeamWithMachine, useHarness } from '../harness/index.js';

const BIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const logger = createLogger({ name: 'test', level: 'silent' });
const h = useHarness();
const teamKeys: Record<string, string> = {};
let redisUrl: string;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  redisUrl = (await h.redis()).url;
  const machine = await h.machine();
  client = createClient({ redis: redisUrl });
  h.own(() => client.close());
  Object.assign(teamKeys, await addTeamWithMachine(client, 'live', machine));
  const bridge = await startBridge(
    { teamKeys, redisUrl, teams: ['live'], batchSize: 4, outputCapBytes: 64 * 1024 },
    { logger },
  );
  h.own(() => bridge.close());
});

async function events(taskId: string): Promise<TaskEvent[]> {
  // Everything a watcher sees until the task ends.
  const all: TaskEvent[] = [];
  for await (const event of client.tasks.watch(taskId)) all.push(event);
  return all;
}

describe('live output', () => {
  it('reaches a watcher while the command still runs, each part once and in order', async () => {
    // Each step of the command waits for a file the watcher creates only after it saw the step before: every
    // part must have been streamed while the command ran.
    const dir = await h.tempDir('watch');
    const gate = (name: string) =>
      `i=0; while [ ! -e ${dir}/${name} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done`;
    const { taskId } = await client.tasks.create({
      team: 'live',
      machine: 'm1',
      command: `echo one; ${gate('1')}; echo two >&2; ${gate('2')}; echo three`,
    });
    const seen: TaskEvent[] = [];
    let output = '';
    for await (const event of client.tasks.watch(taskId)) {
      seen.push(event);
      if (event.type !== 'output') continue;
      output += event.data;
      if (output.includes('one')) writeFileSync(join(dir, '1'), '');
      if (output.includes('two')) writeFileSync(join(dir, '2'), '');
    }
    expect(output).toBe('one\ntwo\nthree\n');
    const statuses = seen.flatMap((e) => (e.type === 'status' ? [e.status] : []));
    expect(statuses).toContain('PROCESSING');
    expect(statuses.at(-1)).toBe('COMPLETED');
  });

  it('gives a short task its output when it ends', async () => {
    const { taskId } = await client.tasks.create({ team: 'live', machine: 'm1', command: 'echo quick' });
    const seen = await events(taskId);
    expect(seen.filter((e) => e.type === 'output')).toEqual([{ type: 'output', data: 'quick\n' }]);
    expect(seen.filter((e) => e.type === 'status').at(-1)).toMatchObject({ status: 'COMPLETED' });
  });

  it('follows a task that already ended: its output first, then its final status', async () => {
    const { taskId } = await client.tasks.create({ team: 'live', machine: 'm1', command: 'echo done-before' });
    await client.tasks.wait(taskId, { timeoutMs: 30_000 });
    const seen = await events(taskId);
    expect(seen.map((e) => e.type)).toEqual(['output', 'status']);
    expect(seen[0]).toEqual({ type: 'output', data: 'done-before\n' });
    expect(seen[1]).toMatchObject({ type: 'status', status: 'COMPLETED' });
  });

  it('caps the kept output: head and tail, the cut marked', async () => {
    const { taskId } = await client.tasks.create({
      team: 'live',
      machine: 'm1',
      command: "echo START; head -c 300000 /dev/zero | tr '\\0' x; echo; echo END",
    });
    const view = await client.tasks.wait(taskId, { timeoutMs: 30_000 });
    expect(view.outputTruncated).toBe(true);
    expect(view.output?.startsWith('START\n')).toBe(true);
    expect(view.output?.endsWith('\nEND\n')).toBe(true);
    expect(view.output).toMatch(/\[… \d+ bytes of output truncated …\]/);
    expect(Buffer.byteLength(view.output ?? '')).toBeLessThan(64 * 1024 + 100);
  });

  it('inspect queue ID --follow prints the output as it comes and exits with the exit code', async () => {
    // The command waits for `go`, which the test creates only once the follower printed "first": so "first"
    // can only have been streamed while the command ran, however slow the box.
    const go = join(await h.tempDir('follow'), 'go');
    const { taskId } = await client.tasks.create({
      team: 'live',
      machine: 'm1',
      command: `echo first; i=0; while [ ! -e ${go} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; echo last; exit 3`,
    });
    const child = spawn(process.execPath, [BIN, 'inspect', 'queue', taskId, '--follow'], {
      env: { ...process.env, REDIS_URL: redisUrl, RDC_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (stdout.includes('first')) writeFileSync(go, '');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stdout).toBe('first\nlast\n');
    expect(code).toBe(3);
    expect(stderr).toContain(`[task ${taskId} FAILED`);
    expect(stderr).toContain('PROCESSING');
  });
});
