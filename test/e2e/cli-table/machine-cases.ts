// Machines of team Tab (created by the admin table's first steps): add, set, list, check, trust, rotate-key and
// remove, every flag once, each bad input with its error code and fix. m1 and m2 share the harness's sshd.
import { join } from 'node:path';
import { expect } from 'vitest';
import { machineAddArgs } from '../../harness/cli-run.js';
import type { CaseContext, CaseTable, CliCase } from './table.js';

export const T = 'Tab';
export const keysDir = (ctx: CaseContext) => join(ctx.home, 'keys');
const authorizedKeys = (ctx: CaseContext) => join(ctx.machine.sshd.dir, 'authorized_keys');

/** `machine add NAME --team TEAM` with the harness machine's address and key, its host key not pinned. */
const addArgs = (ctx: CaseContext, name: string, team = T) =>
  machineAddArgs(ctx.machine, team, name, { pinHostKey: false });

/** A value commander rejects: exit 2, its one-line message, a pointer to --help. */
export const usage = (name: string, args: CliCase['args'], message: RegExp): CliCase => ({
  name,
  args,
  code: 2,
  error: 'usage',
  message,
});

export const machineSteps: CaseTable = [
  [
    {
      name: 'machine add with a pinned host key, a limit and an authorized_keys path (login checked)',
      args: (ctx) => [
        ...addArgs(ctx, 'm1'),
        '--host-key-fingerprint',
        ctx.machine.hostKeyFingerprint,
        '--max-concurrent',
        '2',
        '--authorized-keys-file',
        authorizedKeys(ctx),
        '--json',
      ],
      code: 0,
      json: (v, ctx) =>
        expect(v).toMatchObject({
          name: 'm1',
          team: T,
          port: ctx.machine.port,
          maxConcurrent: 2,
          hostKeyFingerprint: ctx.machine.hostKeyFingerprint,
        }),
    },
    {
      name: 'machine add --accept-new-host-key --no-check',
      args: (ctx) => [
        ...addArgs(ctx, 'm2'),
        '--accept-new-host-key',
        '--no-check',
        '--authorized-keys-file',
        authorizedKeys(ctx),
      ],
      code: 0,
      stdout: /machine m2 added to team Tab \(host key SHA256:\S+, login not checked \(--no-check\)\)/,
    },
    {
      name: 'machine add to an unknown team',
      args: (ctx) => [
        ...addArgs(ctx, 'm9', 'Nope'),
        '--host-key-fingerprint',
        ctx.machine.hostKeyFingerprint,
        '--no-check',
      ],
      code: 1,
      error: 'RDC_TEAM_UNKNOWN',
      message: /Nope/,
    },
    {
      name: 'machine add without saying which host key to trust',
      args: (ctx) => addArgs(ctx, 'm9'),
      code: 2,
      error: 'RDC_HOST_KEY_UNKNOWN',
      message: /say which host key to trust/,
    },
    {
      name: 'machine add with a key file that is not there',
      args: (ctx) => [...addArgs(ctx, 'm9').slice(0, -1), join(ctx.dir, 'missing.key'), '--accept-new-host-key'],
      code: 1,
      error: 'RDC_KEY_FILE',
      message: /cannot read key file .*missing\.key: ENOENT/,
    },
    usage(
      'machine add with a bad port',
      (ctx) => [...addArgs(ctx, 'm9'), '--port', '70000'],
      /--port.*must be from 1 to 65535/,
    ),
    usage(
      'machine add without --team',
      () => ['machine', 'add', 'm9', '--host', 'h', '--key-file', 'k'],
      /required option '--team <team>' not specified/,
    ),
  ],
  [
    {
      name: 'machine set --max-concurrent N',
      args: () => ['machine', 'set', 'm1', '--team', T, '--max-concurrent', '3', '--json'],
      code: 0,
      json: (v) => expect(v).toMatchObject({ name: 'm1', maxConcurrent: 3 }),
    },
    usage(
      'machine set --max-concurrent 0',
      () => ['machine', 'set', 'm1', '--max-concurrent', '0'],
      /must be a whole number from 1 to \d+, or none/,
    ),
    {
      name: 'machine set of an unknown machine',
      args: () => ['machine', 'set', 'nosuch', '--max-concurrent', 'none'],
      code: 1,
      error: 'RDC_MACHINE_UNKNOWN',
      message: /nosuch/,
    },
    {
      name: 'machine list --team --json',
      args: () => ['machine', 'list', '--team', T, '--json'],
      code: 0,
      json: (v) => expect(v.map((m: { name: string }) => m.name).sort()).toEqual(['m1', 'm2']),
    },
    {
      name: 'machine list as a table',
      args: () => ['machine', 'list'],
      code: 0,
      stdout: /^name\s+team\s+host\s+user\s+tags\s+running\s+load1\s+memory\s+diskFree\s+sampled\s+lastError\n/,
    },
    {
      name: 'machine check --team --keys-dir --json',
      args: (ctx) => ['machine', 'check', 'm1', '--team', T, '--keys-dir', keysDir(ctx), '--json'],
      code: 0,
      json: (v, ctx) =>
        expect(v).toMatchObject({
          team: T,
          machine: 'm1',
          ok: true,
          hostKeyFingerprint: ctx.machine.hostKeyFingerprint,
        }),
    },
    {
      name: 'machine check with a keys dir that lacks the team key',
      args: (ctx) => ['machine', 'check', 'm1', '--keys-dir', ctx.dir],
      code: 1,
      error: 'RDC_TEAM_KEY',
      message: /Tab\.key/,
    },
    {
      name: 'machine check of an unknown machine',
      args: () => ['machine', 'check', 'nosuch'],
      code: 1,
      error: 'RDC_MACHINE_UNKNOWN',
      message: /nosuch/,
    },
  ],
  [
    {
      name: 'machine set --max-concurrent none',
      args: () => ['machine', 'set', 'm1', '--max-concurrent', 'none'],
      code: 0,
      stdout: /max concurrent none \(bridge default\)/,
    },
    {
      name: 'machine trust --host-key-fingerprint --json',
      args: (ctx) => [
        'machine',
        'trust',
        'm1',
        '--team',
        T,
        '--host-key-fingerprint',
        ctx.machine.hostKeyFingerprint,
        '--json',
      ],
      code: 0,
      json: (v, ctx) =>
        expect(v).toMatchObject({
          name: 'm1',
          hostKeyFingerprint: ctx.machine.hostKeyFingerprint,
          previousHostKeyFingerprint: ctx.machine.hostKeyFingerprint,
        }),
    },
    usage(
      'machine trust with a malformed fingerprint',
      () => ['machine', 'trust', 'm1', '--host-key-fingerprint', 'md5:zz'],
      /SHA256/,
    ),
    {
      name: 'machine rotate-key with neither a name nor --all',
      args: () => ['machine', 'rotate-key', '--team', T],
      code: 2,
      error: 'RDC_INVALID_INPUT',
      message: /rotate-key takes a machine NAME, or --all with --team TEAM/,
    },
  ],
  [
    {
      name: 'machine trust reads the host key the machine presents now',
      args: () => ['machine', 'trust', 'm2'],
      code: 0,
      stdout: /machine m2 of team Tab: host key unchanged to SHA256:/,
    },
    {
      name: 'machine rotate-key NAME --keys-dir --json',
      args: (ctx) => ['machine', 'rotate-key', 'm1', '--keys-dir', keysDir(ctx), '--json'],
      code: 0,
      json: (v) =>
        expect(v).toMatchObject([{ team: T, machine: 'm1', newKeyFingerprint: expect.stringMatching(/^SHA256:/) }]),
    },
  ],
  [
    {
      name: 'machine remove --json',
      args: () => ['machine', 'remove', 'm2', '--team', T, '--json'],
      code: 0,
      json: (v) => expect(v).toEqual({ name: 'm2', team: T, removed: true }),
    },
  ],
];
