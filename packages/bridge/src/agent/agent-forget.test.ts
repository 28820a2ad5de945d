// Forgetting runs (`c`/`C`, agent.sh): the bridge removes finished runs' files in batches of up to 200 runs per
// request, so the agent's work for one request must stay linear in the number of runs: it once built its rm list
// by appending to "$@" one run at a time, a quarter of a second of the agent's own CPU per batch of 200.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from './events.js';
import { exists, LocalAgent, sleep } from './local-agent.test-kit.js';
import { cleanLine } from './script.js';

const SUFFIXES = ['out', 'pid', 'rc', 'to', 's', 'f'];

describe.each(['bash', 'dash'] as const)('the agent under %s forgetting runs', (shell) => {
  let agent: LocalAgent;
  let dir: string;
  const prefix = `f${process.pid}-${Date.now()}-${shell}`;

  beforeAll(async () => {
    agent = new LocalAgent(shell);
    dir = (await agent.hello()).dir;
  });

  afterAll(() => {
    agent.child.stdin.end();
  });

  /** Lays down the files a finished run leaves (no watcher file: none is running). */
  const leave = (ids: readonly string[]) => {
    for (const id of ids) for (const suffix of SUFFIXES) writeFileSync(`${dir}/${id}.${suffix}`, '0\n');
  };
  const left = (ids: readonly string[]) =>
    ids.flatMap((id) => SUFFIXES.map((suffix) => `${dir}/${id}.${suffix}`)).filter(exists);

  it('removes every file of every run in a batch in the background, and only theirs', async () => {
    // An id that starts with "-" (allowed), and neighbours whose names extend a forgotten id's.
    const ids = [`-${prefix}-dash`, ...Array.from({ length: 300 }, (_, i) => `${prefix}-bg-${i}`)];
    const neighbours = [`${prefix}-bg-1-x`, `${prefix}-bg-10x`];
    leave([...ids, ...neighbours]);
    writeFileSync(`${dir}/${prefix}-bg-1.keep`, 'mine\n');
    agent.send(cleanLine(ids, { background: true }));
    let files = left(ids);
    for (let i = 0; i < 250 && files.length > 0; i++) {
      await sleep(20);
      files = left(ids);
    }
    expect(files).toEqual([]);
    expect(left(neighbours)).toHaveLength(neighbours.length * SUFFIXES.length);
    expect(exists(`${dir}/${prefix}-bg-1.keep`)).toBe(true);
    agent.send(cleanLine([...neighbours, `${prefix}-bg-1`]));
    expect(await agent.probe(neighbours[0] as string)).toEqual({ state: 'absent' });
    expect(left(neighbours)).toEqual([]);
  });

  it('forgets 2,000 runs in one request and answers the next request after it', async () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => `${prefix}-many-${i}`);
    leave(ids);
    agent.send(cleanLine(ids));
    // `c` removes before the agent reads on: the probe's answer comes once the files are gone.
    const probe = agent.probe(ids[1_999] as string);
    const answer = await Promise.race([probe, sleep(30_000).then(() => 'no answer within 30 s')]);
    expect(answer).toEqual({ state: 'absent' } satisfies Extract<AgentEvent, { type: 'probe' }>['run']);
    // The agent's cost per run is the bench's to measure (remote CPU per task); here, only that it got through. The
    // quadratic rm list never answered within the bound (about 25 s of the agent's CPU on this box).
    expect(left(ids)).toEqual([]);
  }, 40_000);
});
