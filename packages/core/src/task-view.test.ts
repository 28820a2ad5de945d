import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOB_STATES, TASK_STATUSES } from './lifecycle.js';
import { JOB_DATA_VERSION, type JobData, type RunResult } from './task-record.js';
import { type JobSnapshot, toTaskView } from './task-view.js';

const TASK_ID = '3f1c2b9e-8a41-4d7e-9c55-0e2f6d1a7b10';
const CREATED = Date.UTC(2025, 0, 2, 3, 4, 5, 6);
const STARTED = CREATED + 1_000;
const FINISHED = CREATED + 5_000;
const SEALED = 'q83vEjRWeJDiZ2FpbnN0IGEgc2VhbGVkIGJveA==';

const data: JobData = {
  v: JOB_DATA_VERSION,
  team: 'ops',
  machine: 'prod-01',
  command: './deploy.sh',
  priority: 2,
  maxRetries: 2,
  retryDelay: 30,
  backoff: 'exponential',
  failureAction: 'alert',
  timeout: 600,
  vault: SEALED,
  vaultShape: { token: 'string', db: { port: 'number' } },
};

function run(overrides: Partial<RunResult> = {}): RunResult {
  return {
    ending: { outcome: 'exited', exitCode: 0 },
    output: 'deployed\n',
    truncated: false,
    startedAt: STARTED,
    finishedAt: FINISHED,
    ...overrides,
  };
}

function snapshot(overrides: Partial<JobSnapshot> = {}): JobSnapshot {
  return {
    id: TASK_ID,
    state: 'prioritized',
    data,
    progress: 0, // BullMQ's progress before anything was recorded
    returnvalue: null,
    attemptsStarted: 0,
    timestamp: CREATED,
    ...overrides,
  };
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('toTaskView', () => {
  it('shows a new pending task with every documented field', () => {
    expect(toTaskView(snapshot())).toEqual({
      taskId: TASK_ID,
      status: 'PENDING',
      team: 'ops',
      machine: 'prod-01',
      command: './deploy.sh',
      priority: 2,
      retryCount: 2,
      retriesUsed: 0,
      maxRetries: 2,
      retryDelay: 30,
      backoff: 'exponential',
      maxRetryDelay: null,
      failureAction: 'alert',
      timeout: 600,
      runOnce: false,
      attempts: 0,
      vaultData: { token: 'string', db: { port: 'number' } },
      secrets: [],
      output: null,
      outputTruncated: false,
      error: null,
      errorCode: null,
      exitCode: null,
      signal: null,
      bridge: null,
      createdAt: '2025-01-02T03:04:05.006Z',
      startedAt: null,
      completedAt: null,
      nextAttemptAt: null,
      batchId: null,
      scheduleName: null,
    });
  });

  it('shows a task a bridge claimed as ASSIGNED, with the bridge and no start time yet', () => {
    const view = toTaskView(
      snapshot({ state: 'active', progress: { phase: 'ASSIGNED', bridge: 'b-1' }, attemptsStarted: 1 }),
    );
    expect(view).toMatchObject({ status: 'ASSIGNED', bridge: 'b-1', attempts: 1, retryCount: 2, startedAt: null });
  });

  it('shows a running task as PROCESSING with its start time', () => {
    const view = toTaskView(
      snapshot({
        state: 'active',
        progress: { phase: 'PROCESSING', bridge: 'b-1', startedAt: STARTED },
        attemptsStarted: 1,
      }),
    );
    expect(view).toMatchObject({
      status: 'PROCESSING',
      startedAt: new Date(STARTED).toISOString(),
      completedAt: null,
      error: null,
    });
  });

  it('shows a failed try waiting for its retry as PENDING with the last error, exit code and next attempt', () => {
    const nextTry = FINISHED + 30_000;
    const view = toTaskView(
      snapshot({
        state: 'delayed',
        progress: {
          phase: 'PROCESSING',
          bridge: 'b-1',
          startedAt: STARTED,
          result: run({ ending: { outcome: 'exited', exitCode: 2 }, output: 'disk full\n' }),
        },
        failedReason: 'RDC_COMMAND_FAILED: command exited with code 2',
        attemptsStarted: 1,
        processedOn: STARTED,
        delayUntil: nextTry,
      }),
    );
    expect(view).toMatchObject({
      status: 'PENDING',
      retryCount: 2,
      retriesUsed: 0,
      attempts: 1,
      output: 'disk full\n',
      error: 'command exited with code 2',
      errorCode: 'RDC_COMMAND_FAILED',
      exitCode: 2,
      startedAt: new Date(STARTED).toISOString(),
      completedAt: null,
      nextAttemptAt: new Date(nextTry).toISOString(),
    });
  });

  it('uses up a retry once the second try starts', () => {
    const view = toTaskView(
      snapshot({
        state: 'active',
        progress: { phase: 'PROCESSING' },
        attemptsStarted: 2,
        failedReason: 'RDC_TIMEOUT: x',
      }),
    );
    expect(view).toMatchObject({ status: 'PROCESSING', retryCount: 1, attempts: 2, error: null });
  });

  it('shows a completed task with its output, exit code 0 and completion time', () => {
    const view = toTaskView(
      snapshot({
        state: 'completed',
        progress: { phase: 'PROCESSING', bridge: 'b-1', startedAt: STARTED },
        returnvalue: run({ output: 'ok', truncated: true }),
        attemptsStarted: 1,
        processedOn: STARTED,
        finishedOn: FINISHED,
      }),
    );
    expect(view).toMatchObject({
      status: 'COMPLETED',
      output: 'ok',
      outputTruncated: true,
      exitCode: 0,
      signal: null,
      error: null,
      errorCode: null,
      retryCount: 2,
      retriesUsed: 0,
      startedAt: new Date(STARTED).toISOString(),
      completedAt: new Date(FINISHED).toISOString(),
    });
  });

  it('shows a failed task with the exit code of its last try from progress.result and no retries left', () => {
    const view = toTaskView(
      snapshot({
        state: 'failed',
        progress: { phase: 'PROCESSING', result: run({ ending: { outcome: 'exited', exitCode: 3 }, output: 'boom' }) },
        failedReason: 'RDC_COMMAND_FAILED: command exited with code 3',
        attemptsStarted: 3,
        finishedOn: FINISHED,
      }),
    );
    expect(view).toMatchObject({
      status: 'FAILED',
      retryCount: 0,
      retriesUsed: 2,
      attempts: 3,
      output: 'boom',
      exitCode: 3,
      error: 'command exited with code 3',
      errorCode: 'RDC_COMMAND_FAILED',
      completedAt: new Date(FINISHED).toISOString(),
    });
  });

  it('shows a command killed by a signal with the signal and no exit code', () => {
    const view = toTaskView(
      snapshot({
        state: 'failed',
        progress: { phase: 'PROCESSING', result: run({ ending: { outcome: 'signalled', signal: 'SIGKILL' } }) },
        failedReason: 'RDC_COMMAND_FAILED: killed by SIGKILL',
        attemptsStarted: 1,
        finishedOn: FINISHED,
      }),
    );
    expect(view).toMatchObject({ status: 'FAILED', exitCode: null, signal: 'SIGKILL' });
  });

  it('shows a timed-out try with neither exit code nor signal', () => {
    const view = toTaskView(
      snapshot({
        state: 'failed',
        progress: { phase: 'PROCESSING', result: run({ ending: { outcome: 'timed-out', afterSeconds: 600 } }) },
        failedReason: 'RDC_TIMEOUT: command ran longer than 600 s',
        attemptsStarted: 1,
        finishedOn: FINISHED,
      }),
    );
    expect(view).toMatchObject({ status: 'FAILED', exitCode: null, signal: null, errorCode: 'RDC_TIMEOUT' });
  });

  it('shows a failure reason without a code as the error, with errorCode null', () => {
    const view = toTaskView(snapshot({ state: 'failed', failedReason: 'Missing lock for job 7. moveToFinished' }));
    expect(view).toMatchObject({ status: 'FAILED', error: 'Missing lock for job 7. moveToFinished', errorCode: null });
  });

  it('shows a running task a user cancelled as CANCELLED with the cancel reason and no retries left', () => {
    const view = toTaskView(
      snapshot({
        state: 'failed',
        progress: { phase: 'PROCESSING', startedAt: STARTED },
        failedReason: 'RDC_CANCELLED: cancelled by alice',
        attemptsStarted: 1,
        finishedOn: FINISHED,
      }),
    );
    expect(view).toMatchObject({
      status: 'CANCELLED',
      retryCount: 0,
      retriesUsed: 0,
      error: 'cancelled by alice',
      errorCode: 'RDC_CANCELLED',
      completedAt: new Date(FINISHED).toISOString(),
    });
  });

  it('shows a pending task with a cancel tombstone as CANCELLED', () => {
    const view = toTaskView(snapshot({ state: 'prioritized', cancelled: true }));
    expect(view).toMatchObject({ status: 'CANCELLED', retryCount: 0, error: null, completedAt: null });
  });

  it('shows a removed job with a cancel tombstone as CANCELLED, and without one gives no view', () => {
    expect(toTaskView(snapshot({ state: 'unknown', cancelled: true }))?.status).toBe('CANCELLED');
    expect(toTaskView(snapshot({ state: 'unknown' }))).toBeUndefined();
  });

  it('shows vaultData as its shape only: the sealed box never appears in the view', () => {
    const view = toTaskView(snapshot());
    expect(view?.vaultData).toEqual({ token: 'string', db: { port: 'number' } });
    expect(JSON.stringify(view)).not.toContain(SEALED);
  });

  it('shows vaultData as null when the task has none', () => {
    const { vault: _v, vaultShape: _s, ...plain } = data;
    expect(toTaskView(snapshot({ data: plain }))?.vaultData).toBeNull();
  });

  it('writes every time as ISO 8601 in UTC', () => {
    const view = toTaskView(
      snapshot({
        state: 'completed',
        returnvalue: run(),
        attemptsStarted: 1,
        finishedOn: FINISHED,
      }),
    );
    for (const time of [view?.createdAt, view?.startedAt, view?.completedAt]) expect(time).toMatch(ISO_8601);
  });
});

describe('toTaskView on garbage from Redis', () => {
  it.each([
    ['data is a string', { data: 'garbage' }],
    ['data is null', { data: null }],
    ['data is of another version', { data: { ...data, v: 99 } }],
    ['progress is a string', { state: 'active', progress: 'half way' }],
    ['progress has an unknown phase', { state: 'active', progress: { phase: 'RUNNING' } }],
    ['returnvalue is not a run result', { state: 'completed', returnvalue: { exit: 0 }, finishedOn: FINISHED }],
    ['a time is out of range', { state: 'active', progress: { phase: 'PROCESSING', startedAt: 1e300 } }],
    ['the creation time is NaN', { timestamp: Number.NaN }],
  ] as const)('does not throw when %s', (_, overrides) => {
    expect(() => toTaskView(snapshot(overrides as Partial<JobSnapshot>))).not.toThrow();
  });

  it('falls back to placeholders when the job data cannot be read', () => {
    expect(toTaskView(snapshot({ data: { nonsense: true } }))).toMatchObject({
      status: 'PENDING',
      team: '?',
      machine: '?',
      command: '?',
      priority: 0,
      retryCount: 0,
      retriesUsed: 0,
      vaultData: null,
    });
  });

  it('shows an active job whose progress cannot be read as ASSIGNED', () => {
    expect(toTaskView(snapshot({ state: 'active', progress: 50 }))?.status).toBe('ASSIGNED');
  });

  it('property: any data, progress, result, reason and times give a view (or none for an unknown job), never an exception', () => {
    const wildNumber = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.constantFrom(0, -1, 8.64e15, 8.64e15 + 1, -8.64e15 - 1, 1e300, Number.MAX_SAFE_INTEGER),
    );
    const runLike = fc.record(
      {
        ending: fc.oneof(
          fc.record({ outcome: fc.constant('exited'), exitCode: fc.integer() }),
          fc.record({ outcome: fc.constant('signalled'), signal: fc.string() }),
          fc.record({ outcome: fc.constant('timed-out'), afterSeconds: wildNumber }),
          fc.anything(),
        ),
        output: fc.oneof(fc.string(), fc.anything()),
        truncated: fc.boolean(),
        startedAt: wildNumber,
        finishedAt: wildNumber,
      },
      { requiredKeys: [] },
    );
    const progressLike = fc.oneof(
      fc.anything(),
      fc.record(
        {
          phase: fc.constantFrom('ASSIGNED', 'PROCESSING', 'OTHER'),
          bridge: fc.string(),
          startedAt: wildNumber,
          result: runLike,
        },
        { requiredKeys: ['phase'] },
      ),
    );
    const snapshotLike = fc.record({
      id: fc.string(),
      state: fc.constantFrom(...JOB_STATES),
      data: fc.oneof(
        fc.anything(),
        fc.constant(data),
        fc.anything().map((priority) => ({ ...data, priority })),
      ),
      progress: progressLike,
      returnvalue: fc.oneof(fc.anything(), runLike),
      failedReason: fc.option(
        fc.oneof(
          fc.string(),
          fc.string().map((m) => `RDC_CANCELLED: ${m}`),
        ),
        {
          nil: undefined,
        },
      ),
      attemptsStarted: fc.nat(10),
      timestamp: wildNumber,
      processedOn: fc.option(wildNumber, { nil: undefined }),
      finishedOn: fc.option(wildNumber, { nil: undefined }),
      delayUntil: fc.option(wildNumber, { nil: undefined }),
      cancelled: fc.option(fc.boolean(), { nil: undefined }),
    });
    fc.assert(
      fc.property(snapshotLike, (job) => {
        const view = toTaskView(job as JobSnapshot);
        if (job.state === 'unknown' && !job.cancelled) {
          expect(view).toBeUndefined();
          return;
        }
        expect(TASK_STATUSES).toContain(view?.status);
        for (const time of [view?.createdAt, view?.startedAt, view?.completedAt, view?.nextAttemptAt]) {
          if (time !== null) expect(new Date(time as string).toISOString()).toBe(time);
        }
      }),
      { numRuns: 500 },
    );
  });
});
