// `rediacc alert …` driven as a user would: webhooks and rules added, listed and removed through the real binary,
// bad input refused with a message that says what is wrong, every change in the audit log, and the webhook's
// secret never printed nor stored in plaintext.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from '../harness/cli-run.js';
import { useHarness } from '../harness/index.js';

const h = useHarness();
const SENTINEL = 'sentinel-webhook-secret-5c8e21f0a9d34b67';
let env: NodeJS.ProcessEnv;
let dir: string;
const outputs: string[] = [];

async function rediacc(args: string[]): Promise<CliRun> {
  const run = await runCli(args, { env });
  outputs.push(run.stdout, run.stderr);
  return run;
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

beforeAll(async () => {
  const redis = await h.redis();
  dir = await h.tempDir('alert-cli-');
  env = { ...process.env, REDIS_URL: redis.url, RDC_HOME: await h.tempDir('rdc-home-'), RDC_ACTOR: 'alice@ops' };
  const team = await rediacc(['team', 'create', 'ops']);
  expect(team.code, team.stderr).toBe(0);
});

// Each CLI run is a process start: on a loaded 2-core box a few seconds each, so tests run few of them and may take long.
const SLOW = { timeout: 150_000 };
let signedId: string;
let added: { id: string };
let everyId: string;

describe('rediacc alert webhook', SLOW, () => {
  it('adds webhooks: signed (--secret, --secret-file) and of every team; the id is the last line', async () => {
    const signed = await rediacc([
      'alert',
      'webhook',
      'add',
      'https://hooks.example.com/a',
      '--team',
      'ops',
      '--secret',
      SENTINEL,
    ]);
    expect(signed.code, signed.stderr).toBe(0);
    signedId = lastLine(signed.stdout);
    expect(signedId).toMatch(/^wh-[0-9a-f]{12}$/);

    const file = join(dir, 'secret');
    await writeFile(file, `${SENTINEL}\n`, { mode: 0o600 });
    const fromFile = await rediacc([
      'alert',
      'webhook',
      'add',
      'http://127.0.0.1:9/b',
      '--team',
      'ops',
      '--secret-file',
      file,
      '--json',
    ]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    added = JSON.parse(fromFile.stdout);
    // The URL is shown redacted (a short path entirely): some services carry a credential in it.
    expect(added).toMatchObject({ team: 'ops', url: 'http://127.0.0.1:9/…', signed: true, createdBy: 'alice@ops' });

    const everyTeam = await rediacc(['alert', 'webhook', 'add', 'http://127.0.0.1:9/all']);
    expect(everyTeam.code, everyTeam.stderr).toBe(0);
    everyId = lastLine(everyTeam.stdout);
    expect(everyId).toMatch(/^wh-[0-9a-f]{12}$/);
  });

  it('lists webhooks with whether they sign, never a secret', async () => {
    const list = await rediacc(['alert', 'webhook', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const hooks = JSON.parse(list.stdout) as { id: string; team: string | null; signed: boolean }[];
    expect(hooks.map((w) => w.id).sort()).toEqual([signedId, added.id, everyId].sort());
    expect(hooks.find((w) => w.id === everyId)).toMatchObject({ team: null, signed: false });
    expect(list.stdout).not.toMatch(/sealed|secret/i);

    const table = await rediacc(['alert', 'webhook', 'list', '--team', 'ops']);
    expect(table.stdout).toContain(signedId);
  });

  it('removes a webhook, refuses it a second time, and audits every change', async () => {
    const removed = await rediacc(['alert', 'webhook', 'remove', signedId]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(`webhook ${signedId} removed`);
    const again = await rediacc(['alert', 'webhook', 'remove', signedId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('RDC_WEBHOOK_UNKNOWN');

    const audit = await rediacc(['audit', '--team', 'ops', '--json']);
    const actions = (JSON.parse(audit.stdout) as { action: string; target: string; actor: string }[]).filter((e) =>
      e.action.startsWith('alert.webhook.'),
    );
    expect(actions.map((e) => `${e.action} ${e.target}`)).toEqual(
      expect.arrayContaining([
        `alert.webhook.add ${signedId}`,
        `alert.webhook.add ${added.id}`,
        `alert.webhook.add ${everyId}`,
        `alert.webhook.remove ${signedId}`,
      ]),
    );
    expect(actions.every((e) => e.actor === 'alice@ops')).toBe(true);
  });

  it('refuses a bad URL or secret with a message saying what is wrong', async () => {
    const ftp = await rediacc(['alert', 'webhook', 'add', 'ftp://example.com/x', '--team', 'ops']);
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toContain('http:// or https://');
    const notUrl = await rediacc(['alert', 'webhook', 'add', 'hooks.example.com', '--team', 'ops']);
    expect(notUrl.code).toBe(2);

    const unsignedEveryTeam = await rediacc(['alert', 'webhook', 'add', 'https://x.example/', '--secret', SENTINEL]);
    expect(unsignedEveryTeam.code).toBe(2);
    expect(unsignedEveryTeam.stderr).toContain('needs --team');

    const shortSecret = await rediacc([
      'alert',
      'webhook',
      'add',
      'https://x.example/',
      '--team',
      'ops',
      '--secret',
      'hunter2',
    ]);
    expect(shortSecret.code).toBe(2);
    expect(shortSecret.stderr).toContain('at least 16 characters');
    expect(shortSecret.stderr).not.toContain('hunter2');
  });

  it('refuses an unknown team and a malformed id', async () => {
    const noTeam = await rediacc(['alert', 'webhook', 'add', 'https://x.example/', '--team', 'nope']);
    expect(noTeam.code).toBe(1);
    expect(noTeam.stderr).toContain('RDC_TEAM_UNKNOWN');

    const badId = await rediacc(['alert', 'webhook', 'remove', 'not-an-id']);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('wh-0123456789ab');
  });
});

describe('rediacc alert rule', SLOW, () => {
  it('adds each kind, lists and removes them', async () => {
    const depth = await rediacc(['alert', 'rule', 'add', '--team', 'ops', '--pending-above', '1000', '--for', '2m']);
    expect(depth.code, depth.stderr).toBe(0);
    const depthId = lastLine(depth.stdout);
    expect(depthId).toMatch(/^ar-[0-9a-f]{12}$/);
    const bridge = await rediacc(['alert', 'rule', 'add', '--team', 'ops', '--no-bridge-for', '90s', '--json']);
    expect(bridge.code, bridge.stderr).toBe(0);
    expect(JSON.parse(bridge.stdout)).toMatchObject({ kind: 'no-bridge', forMs: 90_000, threshold: null });
    const machine = await rediacc(['alert', 'rule', 'add', '--team', 'ops', '--machine-unreachable-for', '5m']);
    expect(machine.code, machine.stderr).toBe(0);

    const list = await rediacc(['alert', 'rule', 'list', '--team', 'ops', '--json']);
    const rules = JSON.parse(list.stdout) as { id: string; kind: string; threshold: number | null; forMs: number }[];
    expect(rules.map((r) => r.kind).sort()).toEqual(['machine-unreachable', 'no-bridge', 'pending-above']);
    expect(rules.find((r) => r.id === depthId)).toMatchObject({ threshold: 1000, forMs: 120_000 });

    const removed = await rediacc(['alert', 'rule', 'remove', depthId]);
    expect(removed.code, removed.stderr).toBe(0);
    const gone = await rediacc(['alert', 'rule', 'remove', depthId]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('RDC_ALERT_RULE_UNKNOWN');
    const left = JSON.parse((await rediacc(['alert', 'rule', 'list', '--json'])).stdout) as unknown[];
    expect(left).toHaveLength(2);

    const audit = JSON.parse((await rediacc(['audit', '--team', 'ops', '--json'])).stdout) as { action: string }[];
    expect(audit.filter((e) => e.action === 'alert.rule.add')).toHaveLength(3);
    expect(audit.filter((e) => e.action === 'alert.rule.remove')).toHaveLength(1);
  });

  it.each([
    [['--pending-above', '10', '--for', '2x'], 'duration must be a whole number and a unit'],
    [['--pending-above', '10', '--for', '30d'], 'at most 7d'],
    [['--pending-above', '-1', '--for', '2m'], 'must be'],
    [['--pending-above', '10'], '--pending-above needs --for'],
    [['--pending-above', '10', '--for', '2m', '--no-bridge-for', '1m'], 'exactly one of'],
    [[], 'exactly one of'],
  ])('refuses rule add %j (exit 2, says what is wrong)', async (flags, message) => {
    const run = await rediacc(['alert', 'rule', 'add', '--team', 'ops', ...flags]);
    expect(run.code, flags.join(' ')).toBe(2);
    expect(run.stderr, flags.join(' ')).toContain(message);
  });

  it('refuses an unknown team and a malformed rule id', async () => {
    const unknownTeam = await rediacc(['alert', 'rule', 'add', '--team', 'nope', '--no-bridge-for', '1m']);
    expect(unknownTeam.code).toBe(1);
    expect(unknownTeam.stderr).toContain('RDC_TEAM_UNKNOWN');
    const badId = await rediacc(['alert', 'rule', 'remove', 'wh-000000000000']);
    expect(badId.code).toBe(2);
  });
});

describe('rediacc alert list', SLOW, () => {
  it('lists recent alerts (none yet) and never printed the secret', async () => {
    const json = await rediacc(['alert', 'list', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
    const table = await rediacc(['alert', 'list', '--team', 'ops', '--limit', '5']);
    expect(table.stdout).toContain('(none)');
    for (const text of outputs) expect(text).not.toContain(SENTINEL);
  });
});
