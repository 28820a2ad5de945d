// Secrets reach the command as environment variables on the machine, and nowhere else: not in Redis, the logs,
// the process list, the error text or the output (masked, also when streamed in chunks that split it).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Bridge, startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { readOutputChunks } from '@rediacc/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeamWithMachine, useHarness, waitFor } from '../harness/index.js';
import { dumpRedis } from '../harness/redis-dump.js';

const SENTINEL = 'SENTINEL-secret-5c9d7e1f-do-not-leak';
const CREDENTIAL = 'SENTINEL-credential-a81b-do-not-leak';
const WAIT = { timeoutMs: 30_000 };
const h = useHarness();
let client: RediaccClient;
let redis: Redis;
let bridge: Bridge;
let logged = '';
let redisUrl: string;
let teamKeys: Record<string, string>;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

beforeAll(async () => {
  const server = await h.redis();
  redisUrl = server.url;
  client = createClient({ redis: server.url });
  redis = new Redis(server.url);
  const machine = await h.machine();
  teamKeys = await addTeamWithMachine(client, 'S', machine);
  await client.vault.set('S', 'API_TOKEN', SENTINEL);
  await client.vault.set('S', 'DB_PASSWORD', `${SENTINEL}-db`);
  // Everything the bridge logs, at the most verbose level, to look for the sentinel in.
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ name: 'bridge', level: 'trace', destination: sink });
  bridge = await startBridge({ redisUrl: server.url, teams: ['S'], teamKeys, batchSize: 4, pollMs: 100 }, { logger });
});

afterAll(async () => {
  await bridge?.close();
  redis?.disconnect();
  await client?.close();
});

describe('secrets to commands', () => {
  it('gives the command its secrets as environment variables, NAME and ENV=NAME', async () => {
    const { taskId } = await client.tasks.create({
      team: 'S',
      machine: 'm1',
      command: 'printf %s "$API_TOKEN" | sha256sum; printf %s "$PG_PASS" | sha256sum',
      secrets: ['API_TOKEN', 'PG_PASS=DB_PASSWORD'],
    });
    const done = await client.tasks.wait(taskId, WAIT);
    expect(done.status, done.error ?? '').toBe('COMPLETED');
    expect(done.output).toContain(sha(SENTINEL));
    expect(done.output).toContain(sha(`${SENTINEL}-db`));
  });

  it('gives the command its vaultData as JSON in RDC_VAULT_DATA and masks its credentials', async () => {
    const vaultData = { function: 'deploy', repository: 'app', credentials: { token: CREDENTIAL } };
    const { taskId } = await client.tasks.create({
      team: 'S',
      machine: 'm1',
      command: 'printf %s "$RDC_VAULT_DATA" | sha256sum; echo "token is $(printf %s "$RDC_VAULT_DATA" | cut -c1-500)"',
      vaultData,
    });
    const done = await client.tasks.wait(taskId, WAIT);
    expect(done.status, done.error ?? '').toBe('COMPLETED');
    expect(done.output).toContain(sha(JSON.stringify(vaultData)));
    expect(done.output).not.toContain(CREDENTIAL);
    expect(done.output).toContain('"token":"***"');
    expect(done.vaultData).toEqual({ function: 'string', repository: 'string', credentials: { token: 'string' } });
  });

  it('masks a secret the command prints, in the result and in live output split across chunks', async () => {
    // The halves are printed a second apart, so the live stream (read every 0.5 s) gets them in different reads.
    const half = SENTINEL.length / 2;
    const { taskId } = await client.tasks.create({
      team: 'S',
      machine: 'm1',
      command: `echo "start $API_TOKEN"; printf "%s" "$(printf %s "$API_TOKEN" | cut -c1-${half})"; sleep 1.2; printf "%s end\\n" "$(printf %s "$API_TOKEN" | cut -c${half + 1}-)"; sleep 0.6`,
      secrets: ['API_TOKEN'],
    });
    const done = await client.tasks.wait(taskId, WAIT);
    expect(done.status, done.error ?? '').toBe('COMPLETED');
    expect(done.output).toBe('start ***\n*** end\n');
    const chunks = await readOutputChunks(redis, 'S', taskId, '0');
    expect(chunks.length, 'the output was streamed in more than one chunk').toBeGreaterThan(1);
    expect(Buffer.concat(chunks.map((c) => c.data)).toString()).toBe('start ***\n*** end\n');
  });

  it('keeps secrets out of the process list on the machine while the command runs', async () => {
    const marker = join(await h.tempDir('ps'), 'running');
    const { taskId } = await client.tasks.create({
      team: 'S',
      machine: 'm1',
      command: `touch ${marker}; sleep 3`,
      secrets: ['API_TOKEN'],
      vaultData: { credentials: { token: CREDENTIAL } },
    });
    await waitFor(
      'the command to start',
      async () =>
        await readFile(marker).then(
          () => true,
          () => undefined,
        ),
    );
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps).toContain('sleep 3');
    expect(ps).not.toContain(SENTINEL);
    expect(ps).not.toContain(CREDENTIAL);
    expect((await client.tasks.wait(taskId, WAIT)).status).toBe('COMPLETED');
  });

  it('leaves the sentinel nowhere after create, run, failure, retry and inspect, though the command got it', async () => {
    const proof = join(await h.tempDir('proof'), 'got');
    const { taskId } = await client.tasks.create({
      team: 'S',
      machine: 'm1',
      // Prints the secret (masked), records proof it had it, and fails both tries with the secret in its stderr.
      command: `printf %s "$API_TOKEN" | sha256sum >> ${proof}; echo "token=$API_TOKEN"; echo "bad $API_TOKEN" >&2; exit 3`,
      secrets: ['API_TOKEN'],
      vaultData: { function: 'deploy', credentials: { token: CREDENTIAL } },
      maxRetries: 1,
      retryDelay: 0,
    });
    const done = await client.tasks.wait(taskId, WAIT);
    expect(done.status).toBe('FAILED');
    expect(done.attempts).toBe(2);
    expect(done.errorCode).toBe('RDC_COMMAND_FAILED');
    expect(done.error).toContain('bad ***');
    expect(done.output).toContain('token=***');
    // The command did receive it, on both tries.
    expect((await readFile(proof, 'utf8')).trim().split('\n')).toEqual([`${sha(SENTINEL)}  -`, `${sha(SENTINEL)}  -`]);

    const inspected = JSON.stringify(await client.tasks.inspect(taskId));
    const listed = JSON.stringify(await client.tasks.list({ team: 'S' }));
    const everything = await dumpRedis(redis);
    expect(everything).toContain(taskId);
    for (const [where, text] of [
      ['redis', everything],
      ['bridge log', logged],
      ['inspect', inspected],
      ['list', listed],
    ] as const) {
      expect(text, `${where} holds the secret`).not.toContain(SENTINEL);
      expect(text, `${where} holds the credential`).not.toContain(CREDENTIAL);
    }
    expect(logged).toContain(taskId);
  });

  it('fails a task whose secret was deleted after create with a clear error, without running it', async () => {
    await client.vault.set('S', 'SHORT_LIVED', 'short-lived-value');
    const marker = join(await h.tempDir('deleted'), 'ran');
    await bridge.close();
    const { taskId } = await client.tasks.create({
      team: 'S',
      machine: 'm1',
      command: `touch ${marker}`,
      secrets: ['SHORT_LIVED'],
    });
    await client.vault.delete('S', 'SHORT_LIVED');
    bridge = await startBridge(
      { redisUrl, teams: ['S'], teamKeys },
      { logger: createLogger({ name: 'bridge', level: 'silent' }) },
    );
    const done = await client.tasks.wait(taskId, WAIT);
    expect(done.status).toBe('FAILED');
    expect(done.errorCode).toBe('RDC_VAULT_UNKNOWN');
    expect(done.error).toContain('SHORT_LIVED');
    expect(
      await readFile(marker).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
  });
});
