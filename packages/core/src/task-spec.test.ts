import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NAME_PATTERN } from './names.js';
import { MAX_COMMAND_BYTES, MAX_VAULT_DATA_BYTES, taskSpecSchema } from './task-spec.js';

const base = { team: 'ops', machine: 'prod-01', command: 'uptime' };

/** `path: message` of every issue, or [] when the input is accepted. */
function issues(input: unknown): string[] {
  const result = taskSpecSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-';
const validName = fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 1, maxLength: 64 });
/** A string with at least one character (any code point) outside the name alphabet. */
const nameWithForeignChar = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 30 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => !ALPHABET.includes(c)),
    fc.string({ unit: 'binary', maxLength: 30 }),
  )
  .map(([before, bad, after]) => before + bad + after);

describe('taskSpecSchema defaults', () => {
  it('fills in priority 3, no retries 30 s apart, fixed backoff and no failure action', () => {
    expect(taskSpecSchema.parse(base)).toEqual({
      ...base,
      priority: 3,
      maxRetries: 0,
      retryDelay: 30,
      backoff: 'fixed',
      failureAction: 'none',
      runOnce: false,
    });
  });

  it('leaves timeout, vaultData and taskId absent when not given', () => {
    const spec = taskSpecSchema.parse(base);
    expect('timeout' in spec).toBe(false);
    expect('vaultData' in spec).toBe(false);
    expect('taskId' in spec).toBe(false);
  });

  it('keeps every value the caller gave', () => {
    const taskId = randomUUID();
    const full = {
      ...base,
      priority: 1,
      maxRetries: 3,
      retryDelay: 2.5,
      backoff: 'exponential',
      failureAction: 'alert',
      timeout: 60,
      runOnce: true,
      vaultData: { token: 'x', nested: { n: 1 } },
      taskId,
    } as const;
    expect(taskSpecSchema.parse(full)).toEqual(full);
  });
});

describe('taskSpecSchema priority', () => {
  it.each([1, 2, 3, 4, 5])('accepts priority %i', (priority) => {
    expect(taskSpecSchema.parse({ ...base, priority }).priority).toBe(priority);
  });

  it.each([0, 6, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses priority %s', (priority) => {
    expect(issues({ ...base, priority }).join()).toMatch(/^priority: /);
  });

  it('explains the 1-5 range when out of bounds', () => {
    expect(issues({ ...base, priority: 0 })).toEqual(['priority: priority must be 1 (critical) to 5 (whenever)']);
    expect(issues({ ...base, priority: 6 })).toEqual(['priority: priority must be 1 (critical) to 5 (whenever)']);
  });

  it('refuses a priority given as a string', () => {
    expect(issues({ ...base, priority: '1' })).toHaveLength(1);
  });

  it('property: every integer 1..5 is accepted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), (priority) => {
        expect(taskSpecSchema.safeParse({ ...base, priority }).success).toBe(true);
      }),
    );
  });

  it('property: every other number, and every non-number, is refused', () => {
    const notAPriority = fc.oneof(
      fc.integer().filter((n) => n < 1 || n > 5),
      fc.double().filter((n) => !Number.isInteger(n)),
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer({ min: 1, max: 5 })),
    );
    fc.assert(
      fc.property(notAPriority, (priority) => {
        expect(taskSpecSchema.safeParse({ ...base, priority }).success).toBe(false);
      }),
    );
  });
});

describe('taskSpecSchema command', () => {
  it.each(['', ' ', '   \t\n  '])('refuses an empty or blank command %j', (command) => {
    expect(issues({ ...base, command })).toEqual(['command: command must not be empty']);
  });

  it('accepts a command of exactly the byte limit', () => {
    expect(issues({ ...base, command: 'a'.repeat(MAX_COMMAND_BYTES) })).toEqual([]);
  });

  it('refuses a command one byte over the limit, naming its size, not its text, and where long scripts belong', () => {
    expect(issues({ ...base, command: 'a'.repeat(MAX_COMMAND_BYTES + 1) })).toEqual([
      `command: command is ${MAX_COMMAND_BYTES + 1} bytes, more than the ${MAX_COMMAND_BYTES} allowed; put longer scripts in a file on the machine`,
    ]);
  });

  it('counts the limit in UTF-8 bytes, not characters', () => {
    const command = 'é'.repeat(MAX_COMMAND_BYTES / 2 + 1); // 2 bytes each
    expect(command.length).toBeLessThan(MAX_COMMAND_BYTES);
    expect(issues({ ...base, command })).toHaveLength(1);
  });

  it('refuses a command containing a NUL byte', () => {
    expect(issues({ ...base, command: 'echo a\0b' })).toEqual(['command: command must not contain NUL bytes']);
  });

  it('refuses a command that is not a string', () => {
    expect(issues({ ...base, command: ['ls', '-l'] })).toEqual(['command: command must be a string']);
  });

  it('keeps a multi-line command as given', () => {
    const command = 'set -e\ncd /srv\n./deploy.sh "$TAG"';
    expect(taskSpecSchema.parse({ ...base, command }).command).toBe(command);
  });
});

describe('taskSpecSchema team and machine names', () => {
  const badNames = [
    ['empty', ''],
    ['a hash tag brace', '{ops}'],
    ['an opening brace', 'ops{'],
    ['a colon', 'ops:prod'],
    ['a space', 'prod 01'],
    ['a slash', 'prod/01'],
    ['65 characters', 'a'.repeat(65)],
    ['a non-ASCII letter', 'prød-01'],
    ['an emoji', 'prod-🚀'],
    ['a trailing newline', 'prod-01\n'],
    ['a shell metacharacter', 'prod;rm'],
  ] as const;

  it.each(badNames)('refuses a team name with %s', (_, team) => {
    expect(issues({ ...base, team })).toEqual([
      `team: team name must be 1-64 characters of letters, digits, '.', '_' or '-' (for example "prod-01")`,
    ]);
  });

  it.each(badNames)('refuses a machine name with %s', (_, machine) => {
    expect(issues({ ...base, machine })).toEqual([
      `machine: machine name must be 1-64 characters of letters, digits, '.', '_' or '-' (for example "prod-01")`,
    ]);
  });

  it('accepts a 64-character name', () => {
    const name = 'a'.repeat(64);
    expect(issues({ ...base, team: name, machine: name })).toEqual([]);
  });

  it('refuses a missing or non-string name', () => {
    expect(issues({ machine: 'm', command: 'x' })).toEqual(['team: team name must be a string']);
    expect(issues({ ...base, machine: 42 })).toEqual(['machine: machine name must be a string']);
  });

  it('property: any name of 1-64 letters, digits, dot, underscore or dash matches NAME_PATTERN and is accepted', () => {
    fc.assert(
      fc.property(validName, validName, (team, machine) => {
        expect(team).toMatch(NAME_PATTERN);
        expect(machine).toMatch(NAME_PATTERN);
        expect(taskSpecSchema.safeParse({ ...base, team, machine }).success).toBe(true);
      }),
    );
  });

  it('property: any name with a character outside the alphabet is refused, as team and as machine', () => {
    fc.assert(
      fc.property(nameWithForeignChar, (name) => {
        expect(NAME_PATTERN.test(name)).toBe(false);
        expect(taskSpecSchema.safeParse({ ...base, team: name }).success).toBe(false);
        expect(taskSpecSchema.safeParse({ ...base, machine: name }).success).toBe(false);
      }),
    );
  });

  it('property: any name longer than 64 characters is refused, even from the alphabet', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 65, maxLength: 200 }), (name) => {
        expect(taskSpecSchema.safeParse({ ...base, team: name }).success).toBe(false);
        expect(taskSpecSchema.safeParse({ ...base, machine: name }).success).toBe(false);
      }),
    );
  });
});

describe('taskSpecSchema taskId', () => {
  it('accepts a UUID', () => {
    const taskId = randomUUID();
    expect(taskSpecSchema.parse({ ...base, taskId }).taskId).toBe(taskId);
  });

  it.each(['', 'not-a-uuid', '42', '3f1c2b9e8a414d7e9c550e2f6d1a7b10', '3f1c2b9e-8a41-4d7e-9c55-0e2f6d1a7b1'])(
    'refuses taskId %j and shows what a UUID looks like',
    (taskId) => {
      expect(issues({ ...base, taskId })).toEqual([
        'taskId: taskId must be a UUID (for example 3f1c2b9e-8a41-4d7e-9c55-0e2f6d1a7b10)',
      ]);
    },
  );

  it('refuses a numeric taskId', () => {
    expect(issues({ ...base, taskId: 42 })).toHaveLength(1);
  });
});

describe('taskSpecSchema retry, timeout and vault options', () => {
  it.each([
    ['maxRetries', -1],
    ['maxRetries', 101],
    ['maxRetries', 1.5],
    ['retryDelay', -1],
    ['retryDelay', 86_401],
    ['timeout', 0],
    ['timeout', -5],
    ['timeout', 7 * 86_400 + 1],
    ['backoff', 'linear'],
    ['failureAction', 'page'],
  ] as const)('refuses %s = %j', (field, value) => {
    expect(issues({ ...base, [field]: value }).join()).toMatch(new RegExp(`^${field}: `));
  });

  it.each([
    ['maxRetries', 0],
    ['maxRetries', 100],
    ['retryDelay', 0],
    ['retryDelay', 86_400],
    ['timeout', 0.5],
    ['timeout', 7 * 86_400],
  ] as const)('accepts %s = %j at the edge of its range', (field, value) => {
    expect(issues({ ...base, [field]: value })).toEqual([]);
  });

  it('refuses vaultData that is not an object', () => {
    expect(issues({ ...base, vaultData: 'secret' })).toHaveLength(1);
    expect(issues({ ...base, vaultData: null })).toHaveLength(1);
  });

  it('refuses vaultData larger than the limit once serialized', () => {
    const vaultData = { blob: 'x'.repeat(MAX_VAULT_DATA_BYTES) };
    expect(issues({ ...base, vaultData })).toEqual([
      `vaultData: vaultData is ${MAX_VAULT_DATA_BYTES + 11} bytes as JSON, more than the ${MAX_VAULT_DATA_BYTES} allowed`,
    ]);
  });
});

describe('taskSpecSchema strictness', () => {
  it('refuses an unknown field, naming it', () => {
    const result = taskSpecSchema.safeParse({ ...base, prio: 1 });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('prio');
  });

  it('refuses something that is not an object', () => {
    for (const input of [null, undefined, 'uptime', 42, []])
      expect(taskSpecSchema.safeParse(input).success).toBe(false);
  });

  it('reports every bad field at once', () => {
    expect(issues({ team: 'a b', machine: '', command: '', priority: 9 }).map((i) => i.split(':')[0])).toEqual([
      'team',
      'machine',
      'command',
      'priority',
    ]);
  });
});
