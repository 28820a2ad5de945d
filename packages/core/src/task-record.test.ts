import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  JOB_DATA_VERSION,
  type JobData,
  jobDataSchema,
  progressSchema,
  readJobData,
  runOutcomeSchema,
  runResultSchema,
  shapeOf,
  storedJobData,
  taskJob,
} from './task-record.js';
import { toTaskView } from './task-view.js';

const TYPE_NAMES = ['string', 'number', 'boolean', 'null', 'object', 'undefined', 'bigint', 'symbol', 'function'];

/** Every string leaf of a JSON value. */
function stringLeaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringLeaves);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringLeaves);
  return [];
}

/** Every object key anywhere in a JSON value: the shape keeps keys on purpose (they say what is there). */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]);
  }
  return [];
}

const longString = fc.string({ minLength: 9, maxLength: 40 });
/** vaultData-like objects whose leaves are long strings, nested a level or two. */
const secretLike = fc.dictionary(
  fc.string(),
  fc.oneof(longString, fc.array(longString, { minLength: 1 }), fc.dictionary(fc.string(), longString)),
);

describe('shapeOf', () => {
  it('replaces every leaf with its type name and keeps the keys', () => {
    expect(
      shapeOf({
        token: 's3cr3t-t0ken',
        port: 5432,
        tls: true,
        proxy: null,
        db: { user: 'admin', password: 'hunter22' },
      }),
    ).toEqual({
      token: 'string',
      port: 'number',
      tls: 'boolean',
      proxy: 'null',
      db: { user: 'string', password: 'string' },
    });
  });

  it('shows an array as the shape of its first element, so later elements reveal nothing either', () => {
    expect(shapeOf({ hosts: ['a.example', 'b.example'], empty: [] })).toEqual({ hosts: ['string'], empty: [] });
    expect(shapeOf([{ key: 'AKIA…' }, { other: 'x' }])).toEqual([{ key: 'string' }]);
  });

  it.each([
    ['a string', 'secret', 'string'],
    ['a number', 42, 'number'],
    ['a boolean', false, 'boolean'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
  ])('turns %s into its type name', (_, value, shape) => {
    expect(shapeOf(value)).toBe(shape);
  });

  it('property: the JSON of the shape never contains a string leaf of the input longer than 8 characters', () => {
    fc.assert(
      // Plain jsonValue rarely makes strings over 8 characters; mix in secret-like values that are.
      fc.property(fc.oneof(fc.jsonValue(), secretLike), (value) => {
        const json = JSON.stringify(shapeOf(value));
        const keys = keysOf(value);
        for (const leaf of stringLeaves(value)) {
          if (leaf.length <= 8) continue;
          // Type names and object keys are what a shape is made of; a leaf equal to one of them proves nothing.
          if (TYPE_NAMES.some((t) => t.includes(leaf)) || keys.some((k) => k.includes(leaf))) continue;
          expect(json).not.toContain(leaf);
          expect(json).not.toContain(JSON.stringify(leaf).slice(1, -1));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('property: every leaf of the shape is a type name', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const leaf of stringLeaves(shapeOf(value))) expect(TYPE_NAMES).toContain(leaf);
      }),
    );
  });
});

const jobData = {
  v: JOB_DATA_VERSION,
  team: 'ops',
  machine: 'prod-01',
  command: 'uptime',
  priority: 2,
  maxRetries: 1,
  retryDelay: 30,
  backoff: 'fixed',
  failureAction: 'none',
};

describe('jobDataSchema', () => {
  it('reads job data a producer wrote', () => {
    expect(jobDataSchema.parse({ ...jobData, vault: 'c2VhbGVk', vaultShape: { token: 'string' } })).toMatchObject(
      jobData,
    );
  });

  it('refuses job data of another version', () => {
    expect(jobDataSchema.safeParse({ ...jobData, v: 3 }).success).toBe(false);
    const { v: _, ...unversioned } = jobData;
    expect(jobDataSchema.safeParse(unversioned).success).toBe(false);
  });

  it.each([0, 6, 1.5])('refuses priority %s in job data', (priority) => {
    expect(jobDataSchema.safeParse({ ...jobData, priority }).success).toBe(false);
  });

  it('refuses bad names and an empty command', () => {
    expect(jobDataSchema.safeParse({ ...jobData, team: '{ops}' }).success).toBe(false);
    expect(jobDataSchema.safeParse({ ...jobData, machine: 'a b' }).success).toBe(false);
    expect(jobDataSchema.safeParse({ ...jobData, command: '' }).success).toBe(false);
  });
});

describe('job data as stored (version 2) and read back', () => {
  const origin = { team: 'ops', machine: 'prod-01', priority: 2 };
  const plain: JobData = jobDataSchema.parse({ ...jobData, maxRetries: 0 });

  it("leaves out the job's origin and every field that holds its default", () => {
    expect(JOB_DATA_VERSION).toBe(2);
    expect(storedJobData(plain)).toEqual({ v: 2, command: 'uptime' });
    expect(JSON.stringify(storedJobData(plain))).toBe('{"v":2,"command":"uptime"}');
  });

  it('keeps the fields that differ from their default', () => {
    const data: JobData = {
      ...plain,
      maxRetries: 3,
      retryDelay: 5,
      backoff: 'exponential' as const,
      maxRetryDelay: 60,
      failureAction: 'alert' as const,
      timeout: 10,
      runOnce: true,
      secrets: [{ env: 'TOKEN', name: 'api-token' }],
      batch: { id: 'b1', stopOnFailure: true },
    };
    const { team: _t, machine: _m, priority: _p, ...rest } = data;
    expect(storedJobData(data)).toEqual({ ...rest, v: 2 });
  });

  it('reads it back whole with the origin the job gives', () => {
    const policy: JobData = { ...plain, maxRetries: 3, backoff: 'exponential', runOnce: true };
    for (const data of [plain, policy]) {
      const stored = JSON.parse(JSON.stringify(storedJobData(data)));
      const read = readJobData(stored, origin);
      expect(read.success && read.data).toEqual(data);
    }
    expect(readJobData({ v: 2, command: 'uptime' }, undefined).success).toBe(false);
  });

  it('takes no field from a stored "__proto__" key, and reads into a plain object', () => {
    const stored = JSON.parse('{"v":2,"__proto__":{"command":"rm -rf /tmp/x"}}');
    expect(readJobData(stored, origin).success).toBe(false);
    const read = readJobData(JSON.parse('{"v":2,"command":"uptime","__proto__":{"maxRetries":9}}'), origin);
    expect(read.success && read.data.maxRetries).toBe(0);
    expect(read.success && Object.getPrototypeOf(read.data)).toBe(Object.prototype);
  });

  it("gives the same task view as the job's data whole", () => {
    const job = { id: 'x', state: 'prioritized' as const, progress: 0, returnvalue: null, attemptsStarted: 0 };
    for (const data of [plain, { ...plain, maxRetries: 2, failureAction: 'alert' as const }]) {
      const stored = JSON.parse(JSON.stringify(storedJobData(data)));
      const view = toTaskView({ ...job, timestamp: 1, data: stored, origin });
      expect([stored.team, view?.team, view?.machine, view?.priority]).toEqual([undefined, 'ops', 'prod-01', 2]);
      expect(view).toEqual(toTaskView({ ...job, timestamp: 1, data }));
    }
  });

  it('reads version-1 job data (every field, as the code before version 2 wrote it) as it is', () => {
    const v1 = JSON.parse(
      '{"v":1,"team":"ops","machine":"prod-01","command":"uptime","priority":2,"maxRetries":0,"retryDelay":30,"backoff":"fixed","failureAction":"none"}',
    );
    const read = readJobData(v1, { team: 'other', machine: 'other', priority: 5 });
    expect(read.success && read.data).toEqual(v1);
  });

  it('a job is named after its machine and carries the stored form, version-1 data (a kept schedule) included', () => {
    const opts = { jobId: 't1', priority: 2, attempts: 1 };
    expect(taskJob(plain, opts)).toEqual({ name: 'prod-01', data: { v: 2, command: 'uptime' }, opts });
    const v1: JobData = { ...plain, v: 1, scheduleName: 'nightly' };
    expect(taskJob(v1, opts).data).toEqual({ v: 2, command: 'uptime', scheduleName: 'nightly' });
  });
});

describe('run results and progress', () => {
  it.each([
    { outcome: 'exited', exitCode: 0 },
    { outcome: 'exited', exitCode: 137 },
    { outcome: 'signalled', signal: 'SIGKILL' },
    { outcome: 'timed-out', afterSeconds: 30 },
  ])('accepts the ending %j', (ending) => {
    expect(runOutcomeSchema.parse(ending)).toEqual(ending);
  });

  it('refuses an ending whose fields do not match its outcome', () => {
    expect(runOutcomeSchema.safeParse({ outcome: 'exited', signal: 'SIGTERM' }).success).toBe(false);
    expect(runOutcomeSchema.safeParse({ outcome: 'crashed' }).success).toBe(false);
    expect(runOutcomeSchema.safeParse({ outcome: 'exited', exitCode: 1.5 }).success).toBe(false);
  });

  it('defaults truncated to false in a run result', () => {
    const result = runResultSchema.parse({
      ending: { outcome: 'exited', exitCode: 0 },
      output: 'ok\n',
      startedAt: 1,
      finishedAt: 2,
    });
    expect(result.truncated).toBe(false);
  });

  it('reads a progress with only a phase, and refuses an unknown phase', () => {
    expect(progressSchema.parse({ phase: 'ASSIGNED' })).toEqual({ phase: 'ASSIGNED' });
    expect(progressSchema.safeParse({ phase: 'RUNNING' }).success).toBe(false);
    expect(progressSchema.safeParse(42).success).toBe(false);
  });
});
