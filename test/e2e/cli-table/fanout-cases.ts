// Machine tags, fan-out batches and pool tasks (issue 15): every command and flag once, each bad input with its
// error code and fix. Team Fan with machines f1–f3 (one sshd) and a bridge serving it (cli-commands-fanout.test.ts).
import { expect } from 'vitest';
import { machineAddArgs } from '../../harness/cli-run.js';
import type { CaseTable, CliCase } from './table.js';

export const F = 'Fan';

const usage = (name: string, args: CliCase['args'], message: RegExp): CliCase => ({
  name,
  args,
  code: 2,
  error: 'usage',
  message,
});

export const tagSteps: CaseTable = [
  [
    {
      name: 'machine add --tag (repeatable)',
      args: (ctx) => [...machineAddArgs(ctx.machine, F, 'f1'), '--tag', 'role=web', '--tag', 'env=prod', '--json'],
      code: 0,
      json: (v) => expect(v).toMatchObject({ name: 'f1', tags: { role: 'web', env: 'prod' } }),
    },
    {
      name: 'machine add f2 --tag role=web',
      args: (ctx) => [...machineAddArgs(ctx.machine, F, 'f2'), '--tag', 'role=web'],
      code: 0,
      stdout: /machine f2 added/,
    },
    {
      name: 'machine add f3 untagged',
      args: (ctx) => machineAddArgs(ctx.machine, F, 'f3'),
      code: 0,
      stdout: /machine f3 added/,
    },
    usage(
      'machine add --tag without "="',
      (ctx) => [...machineAddArgs(ctx.machine, F, 'fx'), '--tag', 'web'],
      /must be key=value/,
    ),
    usage(
      'machine add --tag with a bad character',
      (ctx) => [...machineAddArgs(ctx.machine, F, 'fx'), '--tag', 'role=we b'],
      /tag value must be 1-63 characters/,
    ),
  ],
  [
    {
      name: 'machine tag NAME k=v… --team --json',
      args: () => ['machine', 'tag', 'f3', 'role=db', 'env=prod', '--team', F, '--json'],
      code: 0,
      json: (v) => expect(v.tags).toEqual({ role: 'db', env: 'prod' }),
    },
    {
      name: 'machine untag NAME k… --team --json',
      args: () => ['machine', 'untag', 'f2', 'nothing', '--team', F, '--json'],
      code: 0,
      json: (v) => expect(v.tags).toEqual({ role: 'web' }),
    },
    usage('machine tag with a bad key', () => ['machine', 'tag', 'f3', 'a.b/c=1'], /tag key must be/),
    usage('machine untag with a bad key', () => ['machine', 'untag', 'f3', 'a b'], /tag key must be/),
    {
      name: 'machine tag of an unknown machine',
      args: () => ['machine', 'tag', 'nope', 'role=web', '--team', F],
      code: 1,
      error: 'RDC_MACHINE_UNKNOWN',
      message: /machine "nope" is not registered in team "Fan"/,
    },
  ],
  [
    {
      name: 'machine list --select --team --json: only machines carrying every tag',
      args: () => ['machine', 'list', '--select', 'role=web,env=prod', '--team', F, '--json'],
      code: 0,
      json: (v) => expect(v.map((m: { name: string }) => m.name)).toEqual(['f1']),
    },
    {
      name: 'machine list --select shows the tags column',
      args: () => ['machine', 'list', '--select', 'role=web'],
      code: 0,
      stdout:
        /^name\s+team\s+host\s+user\s+tags[\s\S]*f1\s+Fan\s+\S+\s+\S+\s+env=prod,role=web[\s\S]*f2\s+Fan\s+\S+\s+\S+\s+role=web\s/m,
    },
    {
      name: 'machine untag removes a tag',
      args: () => ['machine', 'untag', 'f3', 'env'],
      code: 0,
      stdout: /machine f3 of team Fan: tags role=db/,
    },
    usage('machine list --select without a pair', () => ['machine', 'list', '--select', ','], /at least one key=value/),
  ],
];

export const fanoutCases: CaseTable = [...tagSteps];
