// Teams, the vault, ACL users, the audit log and console tokens, with the machine steps (machine-cases.ts) after
// the team exists: every command and flag once, and each bad input with its error code and fix. Team Tab.
import { join } from 'node:path';
import { expect } from 'vitest';
import { alertSteps } from './alert-cases.js';
import { keysDir, machineSteps, T, usage } from './machine-cases.js';
import type { CaseTable } from './table.js';

export const adminCases: CaseTable = [
  [
    {
      name: 'team create --json writes the key file',
      args: () => ['team', 'create', T, '--json'],
      code: 0,
      json: (v, ctx) => expect(v).toMatchObject({ name: T, keyFile: join(keysDir(ctx), `${T}.key`) }),
    },
    usage('team create with a bad name', () => ['team', 'create', 'no spaces'], /letters, digits/),
    usage('a missing argument', () => ['team', 'create'], /missing required argument 'name'/),
    usage('an unknown flag', () => ['team', 'list', '--jsn'], /unknown option '--jsn'/),
  ],
  [
    {
      name: 'team create of an existing team',
      args: () => ['team', 'create', T],
      code: 1,
      error: 'RDC_TEAM_EXISTS',
      message: /team "Tab" already exists/,
    },
    {
      name: 'team list --json',
      args: () => ['team', 'list', '--json'],
      code: 0,
      json: (v) => expect(v).toMatchObject([{ name: T }]),
    },
    { name: 'team list as a table', args: () => ['team', 'list'], code: 0, stdout: /^name\s+createdAt\nTab\s+\d{4}-/ },
  ],
  ...machineSteps,
  ...alertSteps,
  [
    // m2 shared m1's first key, which rotating m1 removed from the machine: it is gone by now, so --all rotates m1.
    {
      name: 'machine rotate-key --all --team',
      args: () => ['machine', 'rotate-key', '--all', '--team', T],
      code: 0,
      stdout: /^machine m1 of team Tab: key rotated, SHA256:\S+ -> SHA256:\S+\n$/,
    },
    {
      name: 'vault set --from-file --json',
      args: (ctx) => ['vault', 'set', 'API_TOKEN', '--team', T, '--from-file', join(ctx.dir, 'secret.txt'), '--json'],
      code: 0,
      json: (v) => expect(v).toMatchObject({ team: T, name: 'API_TOKEN', kind: 'secret' }),
    },
    {
      name: 'vault set --stdin',
      args: () => ['vault', 'set', 'OTHER', '--team', T, '--stdin'],
      stdin: 'v\n',
      code: 0,
      stdout: /secret OTHER stored/,
    },
    {
      name: 'vault set with no value source',
      args: () => ['vault', 'set', 'X', '--team', T],
      code: 2,
      error: 'RDC_INVALID_INPUT',
      message: /exactly one of --from-file PATH or --stdin/,
    },
    usage(
      'vault set with a bad secret name',
      () => ['vault', 'set', 'no-dash', '--team', T, '--stdin'],
      /no-dash|environment variable/i,
    ),
  ],
  [
    {
      name: 'machine remove of a machine that is gone',
      args: () => ['machine', 'remove', 'm2', '--team', T],
      code: 1,
      error: 'RDC_MACHINE_UNKNOWN',
      message: /machine "m2" is not registered in team "Tab"/,
    },
    {
      name: 'vault list --json (names, never values)',
      args: () => ['vault', 'list', '--team', T, '--json'],
      code: 0,
      json: (v) => {
        expect(v.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(['API_TOKEN', 'OTHER']));
        expect(JSON.stringify(v)).not.toContain('s3cret-value');
      },
    },
    {
      name: 'vault list as a table',
      args: () => ['vault', 'list', '--team', T],
      code: 0,
      stdout: /API_TOKEN\s+secret/,
    },
    {
      name: 'vault list of an unknown team',
      args: () => ['vault', 'list', '--team', 'Nope'],
      code: 1,
      error: 'RDC_TEAM_UNKNOWN',
      message: /Nope/,
    },
  ],
  [
    {
      name: 'vault delete --json',
      args: () => ['vault', 'delete', 'OTHER', '--team', T, '--json'],
      code: 0,
      json: (v) => expect(v).toEqual({ team: T, name: 'OTHER', deleted: true }),
    },
    {
      name: 'acl show --team --json (not applied yet)',
      args: () => ['acl', 'show', '--team', T, '--json'],
      code: 0,
      json: (v) =>
        expect(v).toEqual(
          expect.arrayContaining([expect.objectContaining({ team: T, role: 'bridge', applied: false })]),
        ),
    },
    usage('acl show with a bad team list', () => ['acl', 'show', '--team', ','], /must name at least one/),
  ],
  [
    {
      name: 'vault delete of a secret that is gone',
      args: () => ['vault', 'delete', 'OTHER', '--team', T],
      code: 1,
      error: 'RDC_VAULT_UNKNOWN',
      message: /OTHER/,
    },
    {
      name: 'acl apply --team --json',
      args: () => ['acl', 'apply', '--team', T, '--json'],
      code: 0,
      json: (v) =>
        expect(v).toEqual(
          expect.arrayContaining([expect.objectContaining({ team: T, role: 'viewer', newPassword: true })]),
        ),
    },
  ],
  [
    {
      name: 'acl apply --new-passwords',
      args: () => ['acl', 'apply', '--team', T, '--new-passwords'],
      code: 0,
      stdout: /redis:\/\//,
      stderr: /note: The URLs above carry passwords/,
    },
    {
      name: 'acl show as text',
      args: () => ['acl', 'show', '--team', T],
      code: 0,
      stdout: /\(viewer of team Tab\)\n {2}/,
    },
    {
      name: 'audit --team --since --limit --json',
      args: () => ['audit', '--team', T, '--since', '1h', '--limit', '3', '--json'],
      code: 0,
      json: (v) => {
        expect(v).toHaveLength(3);
        expect(v.every((e: { team: string }) => e.team === T)).toBe(true);
      },
    },
    usage('audit with a bad duration', () => ['audit', '--since', '5 minutes'], /15m, 1h|duration/),
    usage('audit with a bad limit', () => ['audit', '--limit', '0'], /--limit.*must be from 1/),
    {
      name: 'audit export --team --since (JSON lines)',
      args: () => ['audit', 'export', '--team', T, '--since', '1d'],
      code: 0,
      jsonLines: true,
      json: (v) =>
        expect(v.map((e: { action: string }) => e.action)).toEqual(
          expect.arrayContaining(['team.create', 'machine.add']),
        ),
    },
    {
      name: 'audit --follow prints what is there, then stops on SIGTERM',
      args: () => ['audit', '--team', T, '--follow', '--json'],
      code: 0,
      until: /"action":"team\.create"/,
    },
  ],
  [
    {
      name: 'dashboard token create --role --team --expires --json',
      args: () => ['dashboard', 'token', 'create', '--role', 'viewer', '--team', T, '--expires', '1h', '--json'],
      code: 0,
      json: (v) => expect(v).toMatchObject({ role: 'viewer', team: T, expired: false, token: expect.any(String) }),
      save: (run, ctx) => {
        ctx.saved.token = JSON.parse(run.stdout).id;
      },
    },
    usage(
      'dashboard token create with an unknown role',
      () => ['dashboard', 'token', 'create', '--role', 'root'],
      /admin|viewer|operator/,
    ),
    usage(
      'dashboard token create with a bad expiry',
      () => ['dashboard', 'token', 'create', '--role', 'admin', '--expires', 'soon'],
      /12h|duration/,
    ),
    usage('dashboard token revoke with a malformed id', () => ['dashboard', 'token', 'revoke', 'x y'], /token/),
  ],
  [
    {
      name: 'dashboard token list --json',
      args: () => ['dashboard', 'token', 'list', '--json'],
      code: 0,
      json: (v, ctx) => expect(v).toEqual([expect.objectContaining({ id: ctx.saved.token, role: 'viewer' })]),
    },
    {
      name: 'dashboard token list as a table',
      args: () => ['dashboard', 'token', 'list'],
      code: 0,
      stdout: /^id\s+role\s+team/,
    },
  ],
  [
    {
      name: 'dashboard token revoke --json',
      args: (ctx) => ['dashboard', 'token', 'revoke', ctx.saved.token!, '--json'],
      code: 0,
      json: (v, ctx) => expect(v).toMatchObject({ id: ctx.saved.token }),
    },
  ],
  [
    {
      name: 'dashboard token revoke of a revoked token',
      args: (ctx) => ['dashboard', 'token', 'revoke', ctx.saved.token!],
      code: 1,
      error: 'RDC_TOKEN_UNKNOWN',
      message: /token/,
    },
  ],
];
