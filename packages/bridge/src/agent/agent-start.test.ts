// The agent's start-up is on the path of a cold bridge's first task on every machine: under bash it runs no
// program of its own once its run directory exists (bash knows its uid; the directory is made only when missing).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exists, LocalAgent } from './local-agent.test-kit.js';
import { runLine } from './script.js';

const bin = mkdtempSync(join(tmpdir(), 'rdc-agent-start-'));
const calls = join(bin, 'calls');
afterAll(() => rmSync(bin, { recursive: true, force: true }));

// Programs that note each call, then run the real one.
for (const name of ['id', 'mkdir']) {
  writeFileSync(join(bin, name), `#!/bin/sh\necho ${name} >> '${calls}'\nPATH=/usr/bin:/bin exec ${name} "$@"\n`, {
    mode: 0o755,
  });
}
// LOGNAME set, as sshd sets it: the agent's user name needs no `id -un` then.
const user = userInfo().username;
const traced = { PATH: `${bin}:${process.env.PATH}`, LOGNAME: user, USER: user };
const noted = () => (exists(calls) ? readFileSync(calls, 'utf8').split('\n').filter(Boolean) : []);

describe('the agent starting', () => {
  it('under bash, runs neither id nor mkdir once its run directory exists', async () => {
    const first = new LocalAgent('bash');
    const { dir } = await first.hello();
    first.child.stdin.end();
    const agent = new LocalAgent('bash', undefined, traced);
    try {
      expect((await agent.hello()).dir).toBe(dir);
      expect(noted()).toEqual([]);
      // Its runs see the same PATH: the traced programs do work.
      const id = `start${process.pid}-${Date.now()}`;
      agent.send(runLine({ id, command: 'id -u >/dev/null', deadlineSeconds: 0, graceSeconds: 1 }));
      expect((await agent.exited(id)).code).toBe(0);
      expect(noted()).toEqual(['id']);
    } finally {
      agent.child.stdin.end();
    }
  });

  it('under sh, asks id for its uid (sh has no EUID)', async () => {
    writeFileSync(calls, '');
    const agent = new LocalAgent('dash', undefined, traced);
    try {
      await agent.hello();
      expect(noted()).toEqual(['id']);
    } finally {
      agent.child.stdin.end();
    }
  });
});
