// `rediacc alert …`: webhooks (signed with a secret from a file or the command line, and one for every team),
// the three rule kinds, the alert list, removal, and each bad input. Runs after team Tab exists (admin-cases.ts).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { T, usage } from './machine-cases.js';
import type { CaseTable } from './table.js';

const HOOK = 'http://127.0.0.1:9/rediacc-hook';
/** What every listing shows of HOOK: the URL is sealed, only scheme, host and a hint of the path stay readable. */
const HOOK_HINT = 'http://127.0.0.1:9/…';
const UNKNOWN_WEBHOOK = 'wh-000000000000';
const UNKNOWN_RULE = 'ar-000000000000';

export const alertSteps: CaseTable = [
  [
    {
      name: 'alert webhook add --team --secret-file --json',
      before: (ctx) => writeFile(join(ctx.dir, 'hook.secret'), 'table-hook-secret-0123456789\n', { mode: 0o600 }),
      args: (ctx) => [
        'alert',
        'webhook',
        'add',
        HOOK,
        '--team',
        T,
        '--secret-file',
        join(ctx.dir, 'hook.secret'),
        '--json',
      ],
      code: 0,
      json: (v) =>
        expect(v).toMatchObject({
          id: expect.stringMatching(/^wh-[0-9a-f]{12}$/),
          team: T,
          url: HOOK_HINT,
          signed: true,
        }),
      save: (run, ctx) => {
        ctx.saved.webhook = JSON.parse(run.stdout).id;
      },
    },
    {
      name: 'alert webhook add --secret prints the id on its last line',
      args: () => ['alert', 'webhook', 'add', `${HOOK}/2`, '--team', T, '--secret', 'another-table-secret-42'],
      code: 0,
      stdout: /\(signed\); its id:\nwh-[0-9a-f]{12}\n$/,
      save: (run, ctx) => {
        ctx.saved.webhook2 = run.stdout.trimEnd().split('\n').at(-1) ?? '';
      },
    },
    usage('alert webhook add of a non-http URL', () => ['alert', 'webhook', 'add', 'ftp://example.org/x'], /http/),
    {
      name: 'alert rule add --pending-above --for --json',
      args: () => ['alert', 'rule', 'add', '--team', T, '--pending-above', '1000', '--for', '2m', '--json'],
      code: 0,
      json: (v) =>
        expect(v).toMatchObject({
          id: expect.stringMatching(/^ar-/),
          team: T,
          kind: 'pending-above',
          threshold: 1000,
          forMs: 120_000,
        }),
      save: (run, ctx) => {
        ctx.saved.rule = JSON.parse(run.stdout).id;
      },
    },
    {
      name: 'alert rule add --no-bridge-for --json',
      args: () => ['alert', 'rule', 'add', '--team', T, '--no-bridge-for', '2m', '--json'],
      code: 0,
      json: (v) => expect(v).toMatchObject({ team: T, kind: 'no-bridge', forMs: 120_000 }),
    },
    {
      name: 'alert rule add --machine-unreachable-for',
      args: () => ['alert', 'rule', 'add', '--team', T, '--machine-unreachable-for', '5m'],
      code: 0,
      stdout: /its id:\nar-[0-9a-f]{12}\n$/,
    },
    usage(
      'alert rule add with a bad duration',
      () => ['alert', 'rule', 'add', '--team', T, '--no-bridge-for', 'soon'],
      /duration|soon/,
    ),
  ],
  [
    {
      name: 'alert webhook list --team --json',
      args: () => ['alert', 'webhook', 'list', '--team', T, '--json'],
      code: 0,
      json: (v, ctx) =>
        expect(v.map((w: { id: string }) => w.id)).toEqual(
          expect.arrayContaining([ctx.saved.webhook, ctx.saved.webhook2]),
        ),
    },
    {
      name: 'alert webhook list as a table',
      args: () => ['alert', 'webhook', 'list'],
      code: 0,
      stdout: /wh-[0-9a-f]{12}/,
    },
    {
      name: 'alert rule list --team --json',
      args: () => ['alert', 'rule', 'list', '--team', T, '--json'],
      code: 0,
      json: (v) =>
        expect(v.map((r: { kind: string }) => r.kind).sort()).toEqual([
          'machine-unreachable',
          'no-bridge',
          'pending-above',
        ]),
    },
    { name: 'alert rule list as a table', args: () => ['alert', 'rule', 'list'], code: 0, stdout: /ar-[0-9a-f]{12}/ },
    {
      name: 'alert list --team --limit --json',
      args: () => ['alert', 'list', '--team', T, '--limit', '5', '--json'],
      code: 0,
      json: (v) => expect(Array.isArray(v)).toBe(true),
    },
    usage('alert list with a bad limit', () => ['alert', 'list', '--limit', '0'], /limit|1/),
  ],
  [
    {
      name: 'alert webhook remove --json',
      args: (ctx) => ['alert', 'webhook', 'remove', ctx.saved.webhook!, '--json'],
      code: 0,
      json: (v, ctx) => expect(v).toMatchObject({ id: ctx.saved.webhook }),
    },
    {
      name: 'alert webhook remove',
      args: (ctx) => ['alert', 'webhook', 'remove', ctx.saved.webhook2!],
      code: 0,
      stdout: /removed/,
    },
    {
      name: 'alert rule remove --json',
      args: (ctx) => ['alert', 'rule', 'remove', ctx.saved.rule!, '--json'],
      code: 0,
      json: (v, ctx) => expect(v).toMatchObject({ id: ctx.saved.rule }),
    },
    {
      name: 'alert webhook remove of an unknown id',
      args: () => ['alert', 'webhook', 'remove', UNKNOWN_WEBHOOK],
      code: 1,
      error: 'RDC_WEBHOOK_UNKNOWN',
      message: /wh-000000000000/,
    },
    {
      name: 'alert rule remove of an unknown id',
      args: () => ['alert', 'rule', 'remove', UNKNOWN_RULE],
      code: 1,
      error: 'RDC_ALERT_RULE_UNKNOWN',
      message: /ar-000000000000/,
    },
    usage('alert rule remove of a malformed id', () => ['alert', 'rule', 'remove', 'rule-1'], /ar-0123456789ab/),
  ],
];
