import { describe, expect, it } from 'vitest';
import { compareStreamIds, decodePositions, encodePositions, eventArgs, statusOfEvent } from './task-events.js';

describe('statusOfEvent', () => {
  it('maps the BullMQ events a task goes through to its status', () => {
    expect(statusOfEvent('added', {})).toBe('PENDING');
    expect(statusOfEvent('delayed', {})).toBe('PENDING');
    expect(statusOfEvent('active', {})).toBe('ASSIGNED');
    expect(statusOfEvent('progress', { data: { phase: 'PROCESSING' } })).toBe('PROCESSING');
    expect(statusOfEvent('progress', { data: { phase: 'ASSIGNED' } })).toBe('ASSIGNED');
    expect(statusOfEvent('completed', {})).toBe('COMPLETED');
    expect(statusOfEvent('failed', { failedReason: 'RDC_COMMAND_FAILED: exit code 3' })).toBe('FAILED');
    expect(statusOfEvent('failed', { failedReason: 'RDC_CANCELLED: cancelled while running' })).toBe('CANCELLED');
    expect(statusOfEvent('removed', { prev: 'prioritized' })).toBe('CANCELLED');
    expect(statusOfEvent('removed', { prev: 'completed' })).toBeUndefined();
    expect(statusOfEvent('drained', {})).toBeUndefined();
  });

  it('reads a raw stream entry like QueueEvents does', () => {
    expect(eventArgs(['event', 'progress', 'jobId', 't1', 'data', '{"phase":"PROCESSING"}'])).toEqual({
      event: 'progress',
      jobId: 't1',
      data: { phase: 'PROCESSING' },
    });
  });
});

describe('event ids', () => {
  it('orders stream ids by time, then sequence', () => {
    expect(compareStreamIds('10-2', '9-5')).toBeGreaterThan(0);
    expect(compareStreamIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareStreamIds('10-2', '10-2')).toBe(0);
  });

  it('round-trips positions, keeping only the teams asked for and ignoring anything not ours', () => {
    const id = encodePositions(
      new Map([
        ['A/critical', '1-0'],
        ['A/normal', '2-3'],
        ['B/normal', '4-0'],
      ]),
    );
    expect([...decodePositions(id, ['A'])]).toEqual([
      ['A/critical', '1-0'],
      ['A/normal', '2-3'],
    ]);
    expect(decodePositions('not-ours', ['A']).size).toBe(0);
    expect(decodePositions(undefined, ['A']).size).toBe(0);
    const forged = Buffer.from(JSON.stringify({ 'A/normal': '$' })).toString('base64url');
    expect(decodePositions(forged, ['A']).size).toBe(0);
  });
});
