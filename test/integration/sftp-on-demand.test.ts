// A pooled connection opens its SFTP session only when a run's output must be read from the machine: tasks whose
// small output comes with their end never open one (no channel, no sshd process, no round trips before the first
// run); the first large output opens it, later ones reuse it.
import { createRequire } from 'node:module';
import { type Bridge, startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeamWithMachine, useHarness } from '../harness/index.js';

const WAIT = { timeoutMs: 30_000 };
const h = useHarness();
const team = `sftp-${process.pid}`;
let client: RediaccClient;
let bridge: Bridge;
let sessions: { opened: number; stop(): void };

beforeAll(async () => {
  sessions = countSftpSessions();
  const redisUrl = (await h.redis()).url;
  const machine = await h.machine();
  client = createClient({ redis: redisUrl });
  const teamKeys = await addTeamWithMachine(client, team, machine);
  bridge = await startBridge(
    { teamKeys, redisUrl, teams: [team], name: 'sftp', batchSize: 2, maxPerMachine: 1, sampleIntervalMs: 0 },
    { logger: createLogger({ name: 'test', level: 'silent' }) },
  );
});

afterAll(async () => {
  await bridge?.close();
  sessions?.stop();
  await client?.close();
});

describe('the SFTP session of a pooled connection', () => {
  it('is not opened while every output comes with its run’s end', async () => {
    for (const command of ['true', 'echo small', 'exit 4']) {
      const { taskId } = await client.tasks.create({ team, machine: 'm1', command, maxRetries: 0 });
      expect((await client.tasks.wait(taskId, WAIT)).status).toMatch(/^(COMPLETED|FAILED)$/);
    }
    expect(sessions.opened).toBe(0);
  });

  it('is opened by the first output too large to come with the end, and reused', async () => {
    for (let i = 0; i < 2; i++) {
      const { taskId } = await client.tasks.create({ team, machine: 'm1', command: 'seq 1 2000' });
      expect((await client.tasks.wait(taskId, WAIT)).output).toMatch(/^1\n2\n[\s\S]*\n2000\n$/);
    }
    expect(sessions.opened).toBe(1);
  });
});

/** Counts the SFTP sessions ssh2's clients in this process open. */
function countSftpSessions(): { opened: number; stop(): void } {
  const require = createRequire(import.meta.url);
  const proto = require('ssh2').Client.prototype as { sftp: (...args: unknown[]) => unknown };
  const original = proto.sftp;
  const counter = {
    opened: 0,
    stop: () => {
      proto.sftp = original;
    },
  };
  proto.sftp = function (this: unknown, ...args: unknown[]) {
    counter.opened++;
    return original.apply(this, args);
  };
  return counter;
}
