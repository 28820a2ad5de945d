import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localStackPath } from '@rediacc/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimStack, type StackLock } from './stack-lock.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'rdc-stack-lock-'));
  await mkdir(join(home, 'up'), { mode: 0o700 });
});
afterEach(() => rm(home, { recursive: true, force: true }));

async function acquire(): Promise<StackLock> {
  const claim = await claimStack(home);
  if (claim.kind !== 'acquired') throw new Error(`expected to acquire, got ${claim.kind}`);
  return claim.lock;
}

describe('claimStack', () => {
  it('gives the lock to one up; a second one sees it starting, then running with its URL', async () => {
    const lock = await acquire();
    expect((await stat(localStackPath(home))).mode & 0o777).toBe(0o600);
    await expect(claimStack(home)).rejects.toMatchObject({ code: 'RDC_STACK_IN_USE' });
    await lock.publish('redis://:pw@127.0.0.1:6390');
    expect((await stat(localStackPath(home))).mode & 0o777).toBe(0o600);
    expect(await claimStack(home)).toEqual({
      kind: 'running',
      stack: expect.objectContaining({ pid: process.pid, url: 'redis://:pw@127.0.0.1:6390' }),
    });
  });

  it('frees the lock at release, which may be called twice', async () => {
    const lock = await acquire();
    await lock.release();
    await lock.release();
    await expect(readFile(localStackPath(home))).rejects.toMatchObject({ code: 'ENOENT' });
    await (await acquire()).release();
  });

  it('takes over the file of an up that is gone, or a file that is not a stack file', async () => {
    for (const content of [JSON.stringify({ pid: 4_194_305, url: 'redis://x' }), '{"pid":', '']) {
      await writeFile(localStackPath(home), content);
      const lock = await acquire();
      expect(JSON.parse(await readFile(localStackPath(home), 'utf8'))).toEqual({ pid: process.pid });
      await lock.release();
    }
  });

  it('leaves another live owner its file at release', async () => {
    const lock = await acquire();
    await writeFile(localStackPath(home), JSON.stringify({ pid: process.ppid, url: 'redis://x' }));
    await lock.release();
    expect(JSON.parse(await readFile(localStackPath(home), 'utf8'))).toMatchObject({ pid: process.ppid });
  });
});
