import { describe, expect, it } from 'vitest';
import {
  isTerminal,
  JOB_STATES,
  type JobState,
  jobStatesFor,
  type Phase,
  TASK_STATUSES,
  type TaskStatus,
  taskStatus,
} from './lifecycle.js';

// The failure reasons a job can carry, as named in the table below.
const REASONS = {
  none: undefined,
  cancelled: 'RDC_CANCELLED: cancelled by alice',
  other: 'RDC_COMMAND_FAILED: exit code 3',
} as const;
type ReasonKind = keyof typeof REASONS;

interface Row {
  state: JobState;
  phase: Phase | undefined;
  reason: ReasonKind;
  /** The status when no user cancelled the task. */
  expected: TaskStatus | undefined;
  /** The status when the cancel tombstone is set: CANCELLED whatever BullMQ did with the job. */
  ifCancelled: TaskStatus;
}

// DESIGN.md's lifecycle table, spelled out for every combination. `paused` and `waiting-children` are
// waiting states (PENDING); `unknown` is a job BullMQ no longer has (no status, unless tombstoned).
const P = 'PENDING';
const A = 'ASSIGNED';
const R = 'PROCESSING';
const C = 'COMPLETED';
const F = 'FAILED';
const X = 'CANCELLED';
const U = undefined;
const N = undefined; // no phase recorded
// biome-ignore format: the expected table stays aligned in columns
const TABLE: Row[] = (
  [
    // state,             phase,        reason,      expected, ifCancelled
    ['waiting',           N,            'none',      P, X],
    ['waiting',           N,            'cancelled', P, X],
    ['waiting',           N,            'other',     P, X],
    ['waiting',           'ASSIGNED',   'none',      P, X],
    ['waiting',           'ASSIGNED',   'cancelled', P, X],
    ['waiting',           'ASSIGNED',   'other',     P, X],
    ['waiting',           'PROCESSING', 'none',      P, X],
    ['waiting',           'PROCESSING', 'cancelled', P, X],
    ['waiting',           'PROCESSING', 'other',     P, X],
    ['prioritized',       N,            'none',      P, X],
    ['prioritized',       N,            'cancelled', P, X],
    ['prioritized',       N,            'other',     P, X],
    ['prioritized',       'ASSIGNED',   'none',      P, X],
    ['prioritized',       'ASSIGNED',   'cancelled', P, X],
    ['prioritized',       'ASSIGNED',   'other',     P, X],
    ['prioritized',       'PROCESSING', 'none',      P, X],
    ['prioritized',       'PROCESSING', 'cancelled', P, X],
    ['prioritized',       'PROCESSING', 'other',     P, X],
    ['delayed',           N,            'none',      P, X],
    ['delayed',           N,            'cancelled', P, X],
    ['delayed',           N,            'other',     P, X],
    ['delayed',           'ASSIGNED',   'none',      P, X],
    ['delayed',           'ASSIGNED',   'cancelled', P, X],
    ['delayed',           'ASSIGNED',   'other',     P, X],
    ['delayed',           'PROCESSING', 'none',      P, X],
    ['delayed',           'PROCESSING', 'cancelled', P, X],
    ['delayed',           'PROCESSING', 'other',     P, X],
    ['paused',            N,            'none',      P, X],
    ['paused',            N,            'cancelled', P, X],
    ['paused',            N,            'other',     P, X],
    ['paused',            'ASSIGNED',   'none',      P, X],
    ['paused',            'ASSIGNED',   'cancelled', P, X],
    ['paused',            'ASSIGNED',   'other',     P, X],
    ['paused',            'PROCESSING', 'none',      P, X],
    ['paused',            'PROCESSING', 'cancelled', P, X],
    ['paused',            'PROCESSING', 'other',     P, X],
    ['waiting-children',  N,            'none',      P, X],
    ['waiting-children',  N,            'cancelled', P, X],
    ['waiting-children',  N,            'other',     P, X],
    ['waiting-children',  'ASSIGNED',   'none',      P, X],
    ['waiting-children',  'ASSIGNED',   'cancelled', P, X],
    ['waiting-children',  'ASSIGNED',   'other',     P, X],
    ['waiting-children',  'PROCESSING', 'none',      P, X],
    ['waiting-children',  'PROCESSING', 'cancelled', P, X],
    ['waiting-children',  'PROCESSING', 'other',     P, X],
    ['active',            N,            'none',      A, X],
    ['active',            N,            'cancelled', A, X],
    ['active',            N,            'other',     A, X],
    ['active',            'ASSIGNED',   'none',      A, X],
    ['active',            'ASSIGNED',   'cancelled', A, X],
    ['active',            'ASSIGNED',   'other',     A, X],
    ['active',            'PROCESSING', 'none',      R, X],
    ['active',            'PROCESSING', 'cancelled', R, X],
    ['active',            'PROCESSING', 'other',     R, X],
    ['completed',         N,            'none',      C, X],
    ['completed',         N,            'cancelled', C, X],
    ['completed',         N,            'other',     C, X],
    ['completed',         'ASSIGNED',   'none',      C, X],
    ['completed',         'ASSIGNED',   'cancelled', C, X],
    ['completed',         'ASSIGNED',   'other',     C, X],
    ['completed',         'PROCESSING', 'none',      C, X],
    ['completed',         'PROCESSING', 'cancelled', C, X],
    ['completed',         'PROCESSING', 'other',     C, X],
    ['failed',            N,            'none',      F, X],
    ['failed',            N,            'cancelled', X, X],
    ['failed',            N,            'other',     F, X],
    ['failed',            'ASSIGNED',   'none',      F, X],
    ['failed',            'ASSIGNED',   'cancelled', X, X],
    ['failed',            'ASSIGNED',   'other',     F, X],
    ['failed',            'PROCESSING', 'none',      F, X],
    ['failed',            'PROCESSING', 'cancelled', X, X],
    ['failed',            'PROCESSING', 'other',     F, X],
    ['unknown',           N,            'none',      U, X],
    ['unknown',           N,            'cancelled', U, X],
    ['unknown',           N,            'other',     U, X],
    ['unknown',           'ASSIGNED',   'none',      U, X],
    ['unknown',           'ASSIGNED',   'cancelled', U, X],
    ['unknown',           'ASSIGNED',   'other',     U, X],
    ['unknown',           'PROCESSING', 'none',      U, X],
    ['unknown',           'PROCESSING', 'cancelled', U, X],
    ['unknown',           'PROCESSING', 'other',     U, X],
  ] as const
).map(([state, phase, reason, expected, ifCancelled]) => ({ state, phase, reason, expected, ifCancelled }));

const PHASES = [undefined, 'ASSIGNED', 'PROCESSING'] as const;

describe('taskStatus', () => {
  it('the table lists every state × phase × reason exactly once', () => {
    const key = (state: string, phase: string | undefined, reason: string) => `${state}/${phase ?? '-'}/${reason}`;
    const listed = TABLE.map((row) => key(row.state, row.phase, row.reason));
    const all = JOB_STATES.flatMap((state) =>
      PHASES.flatMap((phase) => Object.keys(REASONS).map((reason) => key(state, phase, reason))),
    );
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...all].sort());
  });

  it.each(TABLE)('$state job, phase $phase, reason $reason → $expected', ({ state, phase, reason, expected }) => {
    expect(taskStatus({ state, phase, failedReason: REASONS[reason] })).toBe(expected);
    expect(taskStatus({ state, phase, failedReason: REASONS[reason], cancelled: false })).toBe(expected);
  });

  it.each(TABLE)(
    'a cancelled task in a $state job, phase $phase, reason $reason → $ifCancelled',
    ({ state, phase, reason, ifCancelled }) => {
      expect(taskStatus({ state, phase, failedReason: REASONS[reason], cancelled: true })).toBe(ifCancelled);
    },
  );

  it('a failure reason that merely mentions RDC_CANCELLED is a plain failure', () => {
    expect(taskStatus({ state: 'failed', failedReason: 'RDC_INTERNAL: RDC_CANCELLED: nested' })).toBe('FAILED');
    expect(taskStatus({ state: 'failed', failedReason: 'Error: RDC_CANCELLED: not at the start' })).toBe('FAILED');
    expect(taskStatus({ state: 'failed', failedReason: '' })).toBe('FAILED');
  });
});

// A snapshot that reaches `status` from `state`: the phase and reason the bridge would have recorded.
function snapshotFor(status: TaskStatus, state: JobState) {
  return {
    state,
    phase:
      status === 'PROCESSING' ? ('PROCESSING' as const) : status === 'ASSIGNED' ? ('ASSIGNED' as const) : undefined,
    failedReason: status === 'CANCELLED' ? REASONS.cancelled : status === 'FAILED' ? REASONS.other : undefined,
  };
}

describe('jobStatesFor', () => {
  it.each(TASK_STATUSES)('every BullMQ state listed for %s reads back as %s', (status) => {
    const states = jobStatesFor(status);
    expect(states.length).toBeGreaterThan(0);
    for (const state of states) expect(taskStatus(snapshotFor(status, state))).toBe(status);
  });

  it.each(TASK_STATUSES)('every BullMQ state that can show %s is listed for it', (status) => {
    // `paused` is legacy (BullMQ 6 keeps paused jobs in `wait`; getJobs cannot ask for it), and a cancel
    // tombstone overrides any state, so only un-tombstoned rows of real BullMQ 6 states count here.
    const reachable = new Set(
      TABLE.filter((row) => row.expected === status && row.state !== 'paused').map((row) => row.state),
    );
    expect(new Set(jobStatesFor(status))).toEqual(reachable);
  });

  it('only ASSIGNED/PROCESSING (active) and FAILED/CANCELLED (failed) share a BullMQ state', () => {
    const owners = new Map<JobState, TaskStatus[]>();
    for (const status of TASK_STATUSES) {
      for (const state of jobStatesFor(status)) owners.set(state, [...(owners.get(state) ?? []), status]);
    }
    expect(Object.fromEntries(owners)).toEqual({
      waiting: ['PENDING'],
      prioritized: ['PENDING'],
      delayed: ['PENDING'],
      'waiting-children': ['PENDING'],
      active: ['ASSIGNED', 'PROCESSING'],
      completed: ['COMPLETED'],
      failed: ['FAILED', 'CANCELLED'],
    });
  });
});

describe('isTerminal', () => {
  it.each([
    ['PENDING', false],
    ['ASSIGNED', false],
    ['PROCESSING', false],
    ['COMPLETED', true],
    ['FAILED', true],
    ['CANCELLED', true],
  ] as const)('%s is terminal: %s', (status, terminal) => {
    expect(isTerminal(status)).toBe(terminal);
  });
});
