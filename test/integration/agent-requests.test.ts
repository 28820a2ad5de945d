// The requests the bridge writes to a remote agent over a real sshd: the lines of one turn of the event loop go out
// as one SSH channel-data message (one packet for sshd to decrypt and hand on), in the order they were made.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteAgent } from '../../packages/bridge/src/agent/index.js';
import { SshConnection } from '../../packages/bridge/src/ssh/index.js';
import { useHarness } from '../harness/index.js';

const h = useHarness();
let agent: RemoteAgent;
let messages: { sent: number; stop(): void };
const prefix = `req${process.pid}-${Date.now()}`;

beforeAll(async () => {
  const machine = await h.machine();
  const connection = await SshConnection.open(
    {
      label: 't/m1',
      host: machine.host,
      port: machine.port,
      user: machine.user,
      privateKey: readFileSync(machine.privateKeyPath),
      keySource: 'test',
      hostKeyFingerprint: machine.hostKeyFingerprint,
    },
    { connectTimeoutMs: 10_000, keepaliveIntervalMs: 0, keepaliveCountMax: 3 },
  );
  agent = await RemoteAgent.start(connection, 't/m1', 10_000);
  messages = countChannelData();
});

afterAll(() => {
  messages?.stop();
  agent?.close();
});

describe('requests to the agent', () => {
  it('made in one turn go out as one message, and are answered in order', async () => {
    const ids = Array.from({ length: 5 }, (_, i) => `${prefix}-${i}`);
    const exits = ids.map((id) => agent.exited(id));
    messages.sent = 0;
    const starts = ids.map((id) => agent.start({ id, command: `echo ${id}`, deadlineSeconds: 0, graceSeconds: 1 }));
    expect(messages.sent).toBe(0);
    await Promise.all(starts);
    expect(messages.sent).toBe(1);
    for (const [i, exit] of exits.entries()) {
      expect(await exit).toEqual({ code: 0, output: Buffer.from(`${ids[i]}\n`) });
    }
    // A removal and a probe made together: the probe is read after the removal.
    messages.sent = 0;
    agent.clean(ids);
    const states = await Promise.all(ids.map((id) => agent.probe(id)));
    expect(states).toEqual(ids.map(() => ({ state: 'absent' })));
    expect(messages.sent).toBe(1);
  });
});

/** Counts the channel-data messages ssh2's clients in this process send. */
function countChannelData(): { sent: number; stop(): void } {
  const require = createRequire(import.meta.url);
  const proto = require('ssh2/lib/protocol/Protocol.js').prototype as { channelData: (...args: unknown[]) => unknown };
  const original = proto.channelData;
  const counter = {
    sent: 0,
    stop: () => {
      proto.channelData = original;
    },
  };
  proto.channelData = function (this: unknown, ...args: unknown[]) {
    counter.sent++;
    return original.apply(this, args);
  };
  return counter;
}
