// Many tasks at once from JSON lines (`create tasks --file`, SDK tasks.createFromLines): all or none, every bad
// line named by number and field, and a 10,000-line file read as a stream of lines.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RdcError } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli-run.js';
import { addTeamWithMachine } from '../harness/fleet.js';
import { useHarness } from '../harness/index.js';

const h = useHarness();
let client: RediaccClient;
let redisUrl: string;
const TEAM = 'Lines';

beforeAll(async () => {
  redisUrl = (await h.redis()).url;
  client = createClient({ redis: redisUrl });
  await addTeamWithMachine(client, TEAM, await h.machine(), 'w1');
});

afterAll(async () => {
  await client?.close();
});

async function pending(): Promise<number> {
  return (await client.tasks.counts(TEAM)).pending;
}

/** Lines produced one at a time, as a file read line by line gives them. */
async function* generated(count: number, bad: (i: number) => string | undefined = () => undefined) {
  for (let i = 0; i < count; i++) {
    yield bad(i) ?? JSON.stringify({ machine: 'w1', command: `echo ${i}`, priority: (i % 5) + 1 });
  }
}

describe('tasks from JSON lines', () => {
  it('a bad file names every bad line and field, and enqueues nothing', async () => {
    const before = await pending();
    const error = await client.tasks
      .createFromLines(
        generated(50, (i) =>
          i === 9 ? '{"machine":"w1","command":"x","priority":0}' : i === 30 ? '{"machine":"w1"}' : undefined,
        ),
        { team: TEAM },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RdcError);
    expect((error as RdcError).code).toBe('RDC_TASK_FILE_INVALID');
    expect((error as RdcError).message).toMatch(/^2 bad task specs/);
    expect((error as RdcError).message).toMatch(/line 10: priority: priority must be 1/);
    expect((error as RdcError).message).toMatch(/line 31: command: /);
    expect(await pending()).toBe(before);
  });

  it('an unknown machine on one line enqueues none of the others', async () => {
    const before = await pending();
    await expect(
      client.tasks.createFromLines(
        generated(20, (i) => (i === 19 ? '{"machine":"nope","command":"x"}' : undefined)),
        {
          team: TEAM,
        },
      ),
    ).rejects.toMatchObject({ code: 'RDC_MACHINE_UNKNOWN' });
    expect(await pending()).toBe(before);
  });

  it('10,000 lines enqueue 10,000 tasks, in the order of the lines', async () => {
    const before = await pending();
    const created = await client.tasks.createFromLines(generated(10_000), { team: TEAM });
    expect(created).toHaveLength(10_000);
    expect(new Set(created.map((c) => c.taskId)).size).toBe(10_000);
    expect(created[7]).toMatchObject({ machine: 'w1', priority: 3, created: true });
    expect(await pending()).toBe(before + 10_000);
    expect((await client.tasks.inspect(created[42]!.taskId)).command).toBe('echo 42');
  }, 120_000);

  it('rediacc create tasks --file with 10,000 lines prints 10,000 ids', async () => {
    const before = await pending();
    const file = join(await h.tempDir('tasks-file-'), 'tasks.jsonl');
    const lines: string[] = [];
    for await (const line of generated(10_000)) lines.push(line);
    await writeFile(file, `${lines.join('\n')}\n`);
    const run = await runCli(['create', 'tasks', '--file', file, '--team', TEAM], {
      env: { ...process.env, REDIS_URL: redisUrl, RDC_HOME: await h.tempDir('rdc-home-') },
      timeoutMs: 90_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(10_000);
    expect(await pending()).toBe(before + 10_000);
  }, 120_000);
});
