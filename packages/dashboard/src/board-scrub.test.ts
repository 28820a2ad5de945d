import { describe, expect, it } from 'vitest';
import { scrubBoardBody, sealedJobData } from './board-scrub.js';

const job = {
  id: '1',
  data: {},
  failedReason: 'RDC_COMMAND_FAILED: exit code 3',
  stacktrace: ['Error: at bridge.ts:1'],
};

describe('what the board may show', () => {
  it('replaces sealed vault data with a marker and keeps everything else of job data', () => {
    const data = {
      team: 'A',
      command: 'deploy',
      vault: 'c2VhbGVk',
      vaultShape: { token: 'string' },
      secrets: [{ env: 'T', name: 'T' }],
    };
    expect(sealedJobData(data)).toEqual({ ...data, vault: '[sealed]' });
    expect(sealedJobData({ team: 'A' })).toEqual({ team: 'A' });
    for (const other of [null, 'text', 3, ['a']]) expect(sealedJobData(other)).toEqual(other);
  });

  it('withholds job logs and stack traces, and keeps the failure reason', () => {
    expect(
      scrubBoardBody('/api/queues/:queueName/:jobId/logs', { status: 200, body: ['secret line'] }, false).body,
    ).toEqual([]);
    const detail = scrubBoardBody('/api/queues/:queueName/:jobId', { body: { job, status: 'failed' } }, false);
    expect(detail.body).toEqual({ job: { ...job, stacktrace: [] }, status: 'failed' });
  });

  it('marks every queue read-only for a viewer, and offers no one a retry of completed tasks', () => {
    const body = () => ({
      queues: [{ name: 'A:tasks', jobs: [job], readOnlyMode: false, allowRetries: true, allowCompletedRetries: true }],
    });
    const viewer = scrubBoardBody('/api/queues', { body: body() }, true).body as ReturnType<typeof body>;
    expect(viewer.queues[0]).toMatchObject({ readOnlyMode: true, allowRetries: false, allowCompletedRetries: false });
    expect(viewer.queues[0]?.jobs[0]?.stacktrace).toEqual([]);
    const operator = scrubBoardBody('/api/queues', { body: body() }, false).body as ReturnType<typeof body>;
    expect(operator.queues[0]).toMatchObject({ readOnlyMode: false, allowRetries: true, allowCompletedRetries: false });
  });

  it('passes error answers through', () => {
    const error = { status: 404, body: { error: 'Queue not found' } };
    expect(scrubBoardBody('/api/queues/:queueName/:jobId/logs', error, true)).toEqual(error);
  });
});
