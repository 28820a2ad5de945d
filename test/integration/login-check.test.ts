// checkMachineLogin against things that are not a healthy sshd: a port that accepts TCP but never speaks SSH, one
// that speaks something else, and a key ssh2 cannot parse. Each fails at the step it must, within its timeout.
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { checkMachineLogin, type LoginCheckTarget } from '@rediacc/bridge';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TestMachine, useHarness } from '../harness/index.js';

const h = useHarness();
let machine: TestMachine;
let privateKey: Buffer;

beforeAll(async () => {
  machine = await h.machine();
  privateKey = await readFile(machine.privateKeyPath);
});

const target = (changes: Partial<LoginCheckTarget> = {}): LoginCheckTarget => ({
  label: 'T/m1',
  host: machine.host,
  port: machine.port,
  user: machine.user,
  privateKey,
  keySource: 'key file under test',
  ...changes,
});

/** A loopback TCP server that does `onConnection` with each client; closed with the harness. */
async function tcpServer(onConnection: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  h.own(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('checkMachineLogin', () => {
  it('passes every step on a machine that authorizes the key, reporting its host key', async () => {
    const result = await checkMachineLogin(target(), { expectedHostKey: machine.hostKeyFingerprint });
    expect(result).toMatchObject({ ok: true, hostKeyFingerprint: machine.hostKeyFingerprint });
  });

  it('fails at connect, within its timeout, when the port accepts TCP but never answers', async () => {
    const port = await tcpServer(() => {});
    const started = Date.now();
    const result = await checkMachineLogin(target({ port }), { timeoutMs: 1_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ ok: false, step: 'connect', code: 'RDC_SSH_CONNECT' });
    expect(result.ok || result.message).toContain('did not complete an SSH handshake');
  });

  it('fails at connect when the port speaks another protocol', async () => {
    const port = await tcpServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const result = await checkMachineLogin(target({ port }), { timeoutMs: 2_000 });
    expect(result).toMatchObject({ ok: false, step: 'connect', code: 'RDC_SSH_CONNECT' });
  });

  it('fails at auth with RDC_KEY_FILE when the key cannot be parsed', async () => {
    const result = await checkMachineLogin(target({ privateKey: 'not a key' }));
    expect(result).toMatchObject({ ok: false, step: 'auth', code: 'RDC_KEY_FILE' });
  });
});
