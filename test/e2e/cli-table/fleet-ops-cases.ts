// Many tasks at once, schedules, archive and retention through the real binary: every command and flag once, each
// bad input with its error code and fix. Team Ops with machine o1 and a bridge that serves it
// (cli-commands-fleet-ops.test.ts writes the tasks files into ctx.dir first).
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CaseTable } from './table.js';

export const fleetOpsCases: CaseTable = [
  [
    {
      name: 'create tasks --file --json enqueues every line',
      args: (ctx) => ['create', 'tasks', '--file', join(ctx.dir, 'good.jsonl'), '--json'],
      code: 0,
      json: (v) => {
        expect(v).toHaveLength(3);
        expect(v[0]).toMatchObject({ team: 'Ops', machine: 'o1', created: true });
      },
    },
    {
      name: 'create tasks --file - --team reads stdin, the team given once',
      args: () => ['create', 'tasks', '--file', '-', '--team', 'Ops'],
      stdin: '{"machine":"o1","command":"true"}\n\n# a comment\n{"machine":"o1","command":"true","priority":5}\n',
      code: 0,
      stdout: /^[0-9a-f-]{36}\n[0-9a-f-]{36}\n$/,
    },
    {
      name: 'create tasks --file names every bad line and field, enqueues nothing',
      args: (ctx) => ['create', 'tasks', '--file', join(ctx.dir, 'bad.jsonl')],
      code: 2,
      error: 'RDC_TASK_FILE_INVALID',
      message: /3 bad task specs[\s\S]*line 2: priority: [\s\S]*line 4: not JSON[\s\S]*line 5: command: /,
    },
    {
      name: 'create tasks --file with a file that is not there',
      args: (ctx) => ['create', 'tasks', '--file', join(ctx.dir, 'missing.jsonl')],
      code: 2,
      error: 'RDC_TASK_FILE_INVALID',
      message: /cannot read the tasks file .*missing\.jsonl: ENOENT/,
    },
  ],
  [
    {
      name: 'schedule add with every task flag, a cron pattern in a time zone, --overlap queue --json',
      args: () => [
        'schedule',
        'add',
        'nightly',
        '--cron',
        '0 3 * * *',
        '--tz',
        'Europe/Berlin',
        '--overlap',
        'queue',
        '--machine',
        'o1',
        '--command',
        'echo nightly',
        '--team',
        'Ops',
        '--priority',
        '4',
        '--max-retries',
        '1',
        '--retry-delay',
        '5',
        '--backoff',
        'exponential',
        '--max-retry-delay',
        '60',
        '--timeout',
        '30',
        '--run-once',
        '--failure-action',
        'alert',
        '--vault-data',
        '{"stage":"blue"}',
        '--secret',
        'TOK=API',
        '--json',
      ],
      code: 0,
      json: (v) => {
        expect(v).toMatchObject({
          name: 'nightly',
          team: 'Ops',
          cron: '0 3 * * *',
          tz: 'Europe/Berlin',
          overlap: 'queue',
        });
        expect(v.nextRunAt).toMatch(/T0[12]:00:00\.000Z$/);
      },
    },
    {
      name: 'schedule add --every runs every second (overlap skip by default)',
      args: () => ['schedule', 'add', 'tick', '--every', '1s', '--machine', 'o1', '--command', 'echo tick'],
      code: 0,
      stdout: /schedule tick added in team Ops; next run /,
    },
    {
      name: 'schedule add with both --cron and --every',
      args: () => [
        'schedule',
        'add',
        'both',
        '--cron',
        '0 3 * * *',
        '--every',
        '1h',
        '--machine',
        'o1',
        '--command',
        'x',
      ],
      code: 2,
      error: 'RDC_INVALID_INPUT',
      message: /exactly one of cron/,
    },
    {
      name: 'schedule add with a cron field out of range (nothing kept)',
      args: () => ['schedule', 'add', 'out-of-range', '--cron', '61 * * * *', '--machine', 'o1', '--command', 'x'],
      code: 2,
      error: 'usage',
      message: /cron "61 \* \* \* \*" is not a valid pattern \(.*expected range 0-59\)/,
    },
    {
      name: 'schedule add --tz that is no time zone',
      args: () => [
        'schedule',
        'add',
        'x',
        '--cron',
        '0 3 * * *',
        '--tz',
        'Mars/Olympus',
        '--machine',
        'o1',
        '--command',
        'x',
      ],
      code: 2,
      error: 'usage',
      message: /is not a time zone/,
    },
  ],
  [
    {
      name: 'schedule add of a name the team has',
      args: () => ['schedule', 'add', 'tick', '--every', '1h', '--machine', 'o1', '--command', 'x'],
      code: 1,
      error: 'RDC_SCHEDULE_EXISTS',
      message: /already has a schedule "tick"/,
    },
    {
      name: 'schedule pause --team --json',
      args: () => ['schedule', 'pause', 'nightly', '--team', 'Ops', '--json'],
      code: 0,
      json: (v) => expect(v).toMatchObject({ name: 'nightly', paused: true, nextRunAt: null }),
    },
    {
      name: 'schedule remove of a name no team has',
      args: () => ['schedule', 'remove', 'nope'],
      code: 1,
      error: 'RDC_SCHEDULE_UNKNOWN',
      message: /no schedule "nope"/,
    },
  ],
  [
    {
      name: 'schedule list --team --json shows both, one paused',
      args: () => ['schedule', 'list', '--team', 'Ops', '--json'],
      code: 0,
      json: (v) =>
        expect(v.map((s: { name: string; paused: boolean }) => [s.name, s.paused])).toEqual([
          ['nightly', true],
          ['tick', false],
        ]),
    },
    {
      name: 'schedule list as a table',
      args: () => ['schedule', 'list'],
      code: 0,
      stdout: /nightly .*paused[\s\S]*tick .*every 1s/,
    },
  ],
  [
    {
      name: 'schedule resume --team --json',
      args: () => ['schedule', 'resume', 'nightly', '--team', 'Ops', '--json'],
      code: 0,
      json: (v) => expect(v).toMatchObject({ name: 'nightly', paused: false }),
    },
    {
      name: 'schedule remove --team --json',
      args: () => ['schedule', 'remove', 'tick', '--team', 'Ops', '--json'],
      code: 0,
      json: (v) => expect(v).toEqual({ name: 'tick', removed: true }),
    },
  ],
  [
    {
      name: 'schedule remove without --team finds the one team that has it',
      args: () => ['schedule', 'remove', 'nightly'],
      code: 0,
      stdout: /schedule nightly removed/,
    },
    {
      name: 'retention set --keep-for --keep-count --json',
      args: () => ['retention', 'set', '--team', 'Ops', '--keep-for', '30d', '--keep-count', '1', '--json'],
      code: 0,
      json: (v) => expect(v).toEqual({ team: 'Ops', keepForMs: 30 * 86_400_000, keepCount: 1 }),
    },
    {
      name: 'retention set with nothing to set',
      args: () => ['retention', 'set', '--team', 'Ops'],
      code: 2,
      error: 'RDC_INVALID_INPUT',
      message: /give keepFor/,
    },
    {
      name: 'archive export of a team that does not exist',
      args: () => ['archive', 'export', '--team', 'Nope'],
      code: 1,
      error: 'RDC_TEAM_UNKNOWN',
    },
  ],
  [
    {
      name: 'retention show --json',
      args: () => ['retention', 'show', '--team', 'Ops', '--json'],
      code: 0,
      json: (v) => expect(v).toMatchObject({ keepCount: 1 }),
    },
    {
      name: 'archive export --since gives every finished task, archived or live, one JSON object per line',
      args: () => ['archive', 'export', '--team', 'Ops', '--since', '1d'],
      code: 0,
      jsonLines: true,
      json: (v) => {
        expect(v.length).toBeGreaterThanOrEqual(5);
        for (const task of v) expect(['COMPLETED', 'FAILED']).toContain(task.status);
        expect(new Set(v.map((t: { taskId: string }) => t.taskId)).size).toBe(v.length);
      },
      stderr: /\d+ finished tasks of team Ops/,
    },
  ],
  [
    {
      name: 'schedule add --machines --max-parallel --stop-on-failure: each run a batch --json',
      args: () => [
        'schedule',
        'add',
        'fan',
        '--cron',
        '0 4 * * *',
        '--machines',
        'o1',
        '--max-parallel',
        '1',
        '--stop-on-failure',
        '--command',
        'echo fan',
        '--json',
      ],
      code: 0,
      json: (v) => expect(v).toMatchObject({ name: 'fan', team: 'Ops', machine: null, fanOut: 'machines o1' }),
    },
    {
      name: 'schedule add --select that matches no machine',
      args: () => ['schedule', 'add', 'sel', '--every', '1h', '--select', 'role=none', '--command', 'x'],
      code: 1,
      error: 'RDC_NO_MACHINES',
      message: /--select matches no machine/,
    },
    {
      name: 'schedule add --max-parallel with one --machine',
      args: () => [
        'schedule',
        'add',
        'one',
        '--every',
        '1h',
        '--machine',
        'o1',
        '--max-parallel',
        '2',
        '--command',
        'x',
      ],
      code: 2,
      error: 'RDC_INVALID_INPUT',
      message: /apply to fan-out schedules/,
    },
  ],
  [
    {
      name: 'schedule list shows a fan-out schedule by its machines',
      args: () => ['schedule', 'list', '--team', 'Ops'],
      code: 0,
      stdout: /fan .*machines o1/,
    },
  ],
];
