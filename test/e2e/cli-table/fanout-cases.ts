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

const UNKNOWN_BATCH = '99999999-9999-4999-8999-999999999999';
const ids = (v: { taskIds: string[] }) => v.taskIds;

export const batchSteps: CaseTable = [
  [
    {
      name: 'create task --select --max-parallel --team --json: a batch of the tagged machines',
      args: () => [
        'create',
        'task',
        '--select',
        'role=web',
        '--command',
        'echo "hi $RDC_TASK_ID"',
        '--team',
        F,
        '--max-parallel',
        '1',
        '--json',
      ],
      code: 0,
      json: (v) => {
        expect(v.batchId).toMatch(/^[0-9a-f-]{36}$/);
        expect(ids(v)).toHaveLength(2);
      },
      save: (run, ctx) => {
        ctx.saved.batch = JSON.parse(run.stdout).batchId;
      },
    },
    {
      name: 'create task --machines --stop-on-failure: prints the batch id',
      args: () => [
        'create',
        'task',
        '--machines',
        'f1,f3',
        '--command',
        'exit 4',
        '--stop-on-failure',
        '--max-parallel',
        '1',
      ],
      code: 0,
      stdout: /^[0-9a-f-]{36}\n$/,
      save: (run, ctx) => {
        ctx.saved.failing = run.stdout.trim();
      },
    },
    {
      name: 'create task --pool --json: one task on a machine of the pool',
      args: () => ['create', 'task', '--pool', 'role=web', '--command', 'true', '--json'],
      code: 0,
      json: (v) => expect(['f1', 'f2']).toContain(v.machine),
    },
    usage(
      'create task --machines with a bad name',
      () => ['create', 'task', '--machines', 'a b', '--command', 'true'],
      /machine name must be/,
    ),
    usage(
      'create task --max-parallel 0',
      () => ['create', 'task', '--select', 'role=web', '--command', 'true', '--max-parallel', '0'],
      /must be from 1/,
    ),
    {
      name: 'create task --select matching no machine',
      args: () => ['create', 'task', '--select', 'role=nothing', '--command', 'true'],
      code: 1,
      error: 'RDC_NO_MACHINES',
      message: /select role=nothing matches no machine/,
    },
    {
      name: 'create task with both --machine and --select',
      args: () => ['create', 'task', '--machine', 'f1', '--select', 'role=web', '--command', 'true'],
      code: 2,
      error: 'RDC_INVALID_INPUT',
      message: /only one of --machine, --machines, --select or --pool/,
    },
    {
      name: 'create task with no machine at all says where to run',
      args: () => ['create', 'task', '--command', 'true'],
      code: 2,
      error: 'RDC_INVALID_INPUT',
      message: /say where to run: --machine NAME, or a batch with --machines a,b or --select key=value, or --pool/,
    },
    {
      name: 'create task --select --wait: a batch is followed with inspect batch',
      args: () => ['create', 'task', '--select', 'role=web', '--command', 'true', '--wait'],
      code: 2,
      error: 'RDC_INVALID_INPUT',
      message: /use `inspect batch ID --follow` for a batch/,
    },
    {
      name: 'create task --machine with --max-parallel',
      args: () => ['create', 'task', '--machine', 'f1', '--max-parallel', '2', '--command', 'true'],
      code: 2,
      error: 'RDC_INVALID_INPUT',
      message: /apply to batches/,
    },
  ],
  [
    {
      name: 'inspect batch --follow --json: one event per change, then the summary; exit 0 when all completed',
      args: (ctx) => ['inspect', 'batch', ctx.saved.batch ?? '', '--follow', '--json'],
      code: 0,
      jsonLines: true,
      json: (events) =>
        expect(events.at(-1)).toMatchObject({
          type: 'done',
          batch: { summary: { completed: 2, failed: 0, cancelled: 0, pending: 0 } },
        }),
    },
    {
      name: 'inspect batch --follow of a failing batch exits 1',
      args: (ctx) => ['inspect', 'batch', ctx.saved.failing ?? '', '--follow'],
      code: 1,
      stdout: /batch [0-9a-f-]{36}: 0 completed, 1 failed, 1 cancelled, 0 pending of 2/,
    },
    {
      name: 'inspect batch of an unknown id',
      args: () => ['inspect', 'batch', UNKNOWN_BATCH],
      code: 1,
      error: 'RDC_BATCH_UNKNOWN',
      message: /no batch with id 9999/,
    },
    usage('inspect batch with a bad id', () => ['inspect', 'batch', 'nope'], /batch id must be a UUID/),
  ],
  [
    {
      name: 'inspect batch --json: per-machine status, exit code and output tail',
      args: (ctx) => ['inspect', 'batch', ctx.saved.batch ?? '', '--json'],
      code: 0,
      json: (v) => {
        expect(v.tasks.map((t: { machine: string }) => t.machine)).toEqual(['f1', 'f2']);
        expect(v.tasks[0]).toMatchObject({
          status: 'COMPLETED',
          exitCode: 0,
          outputTail: expect.stringMatching(/^hi /),
        });
      },
    },
    {
      name: 'inspect batch as a table',
      args: (ctx) => ['inspect', 'batch', ctx.saved.batch ?? ''],
      code: 0,
      stdout:
        /^machine\s+status\s+exitCode[\s\S]*f1\s+COMPLETED\s+0[\s\S]*2 completed, 0 failed, 0 cancelled, 0 pending of 2/,
    },
    {
      name: 'list queue --batch --json: the batch’s tasks in machine order',
      args: (ctx) => ['list', 'queue', '--batch', ctx.saved.batch ?? '', '--json'],
      code: 0,
      json: (v) => expect(v.map((t: { machine: string }) => t.machine)).toEqual(['f1', 'f2']),
    },
    {
      name: 'cancel batch without --confirm cancels nothing',
      args: (ctx) => ['cancel', 'batch', ctx.saved.batch ?? ''],
      code: 2,
      error: 'RDC_INVALID_INPUT',
      message: /add --confirm to cancel the 0 unfinished task/,
    },
    {
      name: 'cancel batch --confirm --json of a finished batch: nothing left to cancel',
      args: (ctx) => ['cancel', 'batch', ctx.saved.batch ?? '', '--confirm', '--json'],
      code: 0,
      json: (v) => expect(v).toEqual([]),
    },
  ],
];

export const fanoutCases: CaseTable = [...tagSteps, ...batchSteps];
