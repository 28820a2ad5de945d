// Tasks from create to cancel, and the bridges that run them: every command and flag once, each bad input with its
// error code and fix. Team Run with machine r1 (its key in the vault) and a bridge that serves it; secret API.
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CaseTable, CliCase } from './table.js';

const R = 'Run';
export const FIRST_TASK = '11111111-1111-4111-8111-111111111111';
const UNKNOWN_TASK = '99999999-9999-4999-8999-999999999999';

const task = (...more: string[]) => ['create', 'task', '--machine', 'r1', ...more];
const usage = (name: string, args: CliCase['args'], message: RegExp): CliCase => ({
  name,
  args,
  code: 2,
  error: 'usage',
  message,
});

export const taskCases: CaseTable = [
  [
    {
      name: 'create task --team --priority --task-id --json',
      args: () => task('--command', 'echo hi', '--team', R, '--priority', '2', '--task-id', FIRST_TASK, '--json'),
      code: 0,
      json: (v) => expect(v).toMatchObject({ taskId: FIRST_TASK, team: R }),
    },
    {
      name: 'create task --wait with retries and exponential backoff ends with the command’s exit code',
      args: () =>
        task(
          '--command',
          'exit 3',
          '--max-retries',
          '1',
          '--retry-delay',
          '0',
          '--backoff',
          'exponential',
          '--max-retry-delay',
          '1',
          '--wait',
        ),
      code: 3,
      stderr: /task [0-9a-f-]{36} queued in team Run[\s\S]*FAILED/,
    },
    {
      name: 'create task --vault-data --secret --wait --json',
      args: () =>
        task(
          '--command',
          'echo "$RDC_VAULT_DATA $TOK"',
          '--vault-data',
          '{"stage":"blue"}',
          '--secret',
          'TOK=API',
          '--wait',
          '--json',
        ),
      code: 0,
      // The secret reached the command, and its value is masked in the output the bridge keeps.
      json: (v) => expect(v).toMatchObject({ status: 'COMPLETED', output: '{"stage":"blue"} ***\n' }),
      stdout: /^(?![\s\S]*api-value)/,
    },
    {
      name: 'create task --timeout --run-once --failure-action --wait',
      args: () => task('--command', 'sleep 30', '--timeout', '1', '--run-once', '--failure-action', 'alert', '--wait'),
      code: 1,
      stderr: /FAILED|TIMEOUT|timed out/i,
    },
    {
      name: 'create task --wait-timeout ends a wait with 124, the task going on',
      args: () => task('--command', 'sleep 4', '--wait-timeout', '1'),
      code: 124,
      stderr: /after --wait-timeout 1s; it (goes on|stays queued)/,
    },
  ],
  [
    {
      name: 'create task that runs long, for --follow, --before and cancel (after the others)',
      args: () => task('--command', 'sleep 600', '--priority', '5'),
      code: 0,
      stdout: /^[0-9a-f-]{36}\n$/,
      save: (run, ctx) => {
        ctx.saved.long = run.stdout.trim();
      },
    },
    usage(
      'create task with a bad priority',
      () => task('--command', 'true', '--priority', '9'),
      /--priority.*must be from 1 to 5/,
    ),
    usage(
      'create task without --command',
      () => ['create', 'task', '--machine', 'r1'],
      /required option '--command <command>' not specified/,
    ),
    usage(
      'create task with vault data that is no JSON object',
      () => task('--command', 'true', '--vault-data', '[1]'),
      /must be a JSON object/,
    ),
    usage(
      'create task with an unknown backoff',
      () => task('--command', 'true', '--backoff', 'linear'),
      /must be one of fixed, exponential/,
    ),
    usage(
      'create task with a negative retry delay',
      () => task('--command', 'true', '--retry-delay', '-1'),
      /must be a number of seconds/,
    ),
    usage('create task with a bad task id', () => task('--command', 'true', '--task-id', 'abc'), /--task-id/),
    usage(
      'create task with a bad wait timeout',
      () => task('--command', 'true', '--wait-timeout', 'soon'),
      /--wait-timeout.*must be a number of seconds/,
    ),
    {
      name: 'create task on an unknown machine',
      args: () => ['create', 'task', '--machine', 'nosuch', '--command', 'true'],
      code: 1,
      error: 'RDC_MACHINE_UNKNOWN',
      message: /nosuch/,
    },
    {
      name: 'create task in an unknown team',
      args: () => task('--command', 'true', '--team', 'Nope'),
      code: 1,
      error: 'RDC_TEAM_UNKNOWN',
      message: /Nope/,
    },
  ],
  [
    {
      name: 'inspect queue --follow --json until the task ends',
      args: () => ['inspect', 'queue', FIRST_TASK, '--follow', '--json'],
      code: 0,
      jsonLines: true,
      json: (v) => {
        expect(v).toContainEqual({ type: 'output', data: 'hi\n' });
        expect(v).toContainEqual(
          expect.objectContaining({ type: 'status', task: expect.objectContaining({ status: 'COMPLETED' }) }),
        );
      },
    },
    {
      name: 'inspect queue --follow --wait-timeout stops following with 124',
      args: (ctx) => ['inspect', 'queue', ctx.saved.long!, '--follow', '--wait-timeout', '1'],
      code: 124,
      stderr: /stopped following task .* after --wait-timeout 1s; it goes on/,
    },
    {
      name: 'inspect queue of an unknown task',
      args: () => ['inspect', 'queue', UNKNOWN_TASK],
      code: 1,
      error: 'RDC_TASK_UNKNOWN',
      message: new RegExp(UNKNOWN_TASK),
    },
    usage('inspect queue with a malformed id', () => ['inspect', 'queue', 'not-an-id'], /taskId|task id/i),
    usage('inspect queue without an id', () => ['inspect', 'queue'], /missing required argument 'taskId'/),
  ],
  [
    {
      name: 'inspect queue --json',
      args: () => ['inspect', 'queue', FIRST_TASK, '--json'],
      code: 0,
      json: (v) => expect(v).toMatchObject({ taskId: FIRST_TASK, status: 'COMPLETED', output: 'hi\n', priority: 2 }),
    },
    {
      name: 'inspect queue as text',
      args: () => ['inspect', 'queue', FIRST_TASK],
      code: 0,
      stdout: /status:\s+COMPLETED[\s\S]*output:\nhi\n/,
    },
    {
      name: 'list queue --status --team --limit --sort --reverse --json',
      args: () => [
        'list',
        'queue',
        '--status',
        'COMPLETED',
        '--team',
        R,
        '--limit',
        '2',
        '--sort',
        'priority',
        '--reverse',
        '--json',
      ],
      code: 0,
      json: (v) => {
        expect(v.length).toBeGreaterThan(0);
        expect(v.length).toBeLessThanOrEqual(2);
        expect(v.every((t: { status: string; team: string }) => t.status === 'COMPLETED' && t.team === R)).toBe(true);
      },
    },
    {
      name: 'list queue --before a task',
      args: (ctx) => ['list', 'queue', '--before', ctx.saved.long!, '--json'],
      code: 0,
      // Every task of step 1 was created before it; it is not listed itself.
      json: (v, ctx) => {
        const ids = v.map((t: { taskId: string }) => t.taskId);
        expect(ids).toContain(FIRST_TASK);
        expect(ids).not.toContain(ctx.saved.long);
      },
    },
    {
      name: 'list queue as a table',
      args: () => ['list', 'queue'],
      code: 0,
      stdout: /^taskId\s+status\s+priority\s+team\s+machine\s+age\s+command\n/,
    },
    usage('list queue with an unknown status', () => ['list', 'queue', '--status', 'DONE'], /--status.*must be one of/),
    usage(
      'list queue with an unknown sort',
      () => ['list', 'queue', '--sort', 'name'],
      /must be one of created, priority/,
    ),
    {
      name: 'list queue --before an unknown task',
      args: () => ['list', 'queue', '--before', UNKNOWN_TASK],
      code: 1,
      error: 'RDC_TASK_UNKNOWN',
      message: new RegExp(UNKNOWN_TASK),
    },
    {
      name: 'bridge list --team --json',
      args: () => ['bridge', 'list', '--team', R, '--json'],
      code: 0,
      json: (v) => expect(v).toMatchObject([{ teams: [R] }]),
    },
    { name: 'bridge list as a table', args: () => ['bridge', 'list'], code: 0, stdout: /^id\s+host\s+pid/ },
    usage('bridge list with a bad team', () => ['bridge', 'list', '--team', 'a b'], /letters, digits/),
  ],
  [
    {
      name: 'cancel queue without --confirm lists and cancels nothing',
      args: (ctx) => ['cancel', 'queue', ctx.saved.long!, '--json'],
      code: 2,
      error: 'RDC_INVALID_INPUT',
      message: /nothing cancelled: add --confirm to cancel 1 task\(s\)/,
      json: (v, ctx) => expect(v).toMatchObject([{ taskId: ctx.saved.long, command: 'sleep 600' }]),
    },
    usage('cancel queue without an id', () => ['cancel', 'queue', '--confirm'], /missing required argument 'taskIds'/),
  ],
  [
    {
      name: 'cancel queue --confirm --json',
      args: (ctx) => ['cancel', 'queue', ctx.saved.long!, '--confirm', '--json'],
      code: 0,
      json: (v, ctx) => expect(v).toMatchObject([{ taskId: ctx.saved.long, outcome: 'cancelled' }]),
    },
  ],
  [
    {
      name: 'cancel queue of a finished and an unknown task exits 1',
      args: () => ['cancel', 'queue', FIRST_TASK, UNKNOWN_TASK, '--confirm'],
      code: 1,
      stdout: /taskId\s+outcome\s+status/,
    },
    usage(
      'bridge start with a bad sample interval',
      () => ['bridge', 'start', '--team', R, '--sample-interval', 'often'],
      /sample|duration|often/,
    ),
    usage(
      'bridge start with an unknown shutdown policy',
      () => ['bridge', 'start', '--team', R, '--on-shutdown', 'never'],
      /must be one of handback, kill/,
    ),
    {
      name: 'bridge start without the team key',
      args: (ctx) => ['bridge', 'start', '--team', R, '--keys-dir', ctx.dir],
      code: 1,
      error: 'RDC_TEAM_KEY',
      message: /Run\.key/,
    },
  ],
  [
    {
      name: 'bridge start with every flag, until SIGTERM',
      args: (ctx) => [
        'bridge',
        'start',
        '--team',
        R,
        '--batch-size',
        '2',
        '--critical-slots',
        '1',
        '--max-per-machine',
        '2',
        '--name',
        'tbl-bridge',
        '--grace',
        '1',
        '--on-shutdown',
        'kill',
        '--output-cap',
        '4096',
        '--keys-dir',
        join(ctx.home, 'keys'),
        '--metrics-port',
        '0',
        '--metrics-host',
        '127.0.0.1',
        '--sample-interval',
        '30s',
      ],
      env: (ctx) => ({ ...ctx.env, RDC_LOG_LEVEL: 'info' }),
      code: 0,
      until: /bridge started/,
      stderr: /"batchSize":2,"criticalSlots":1,"maxPerMachine":2,"metrics":"http:\/\/127\.0\.0\.1:\d+\/metrics"/,
    },
  ],
];
