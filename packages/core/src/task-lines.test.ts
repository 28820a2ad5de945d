// A bad tasks file names each problem once with the lines that have it: 1,500 lines missing the same field make one
// short entry, not 1,500.
import { describe, expect, it } from 'vitest';
import { RdcError } from './errors.js';
import { lineList, readTaskLines } from './task-lines.js';

async function failure(lines: string[]): Promise<RdcError> {
  const error = await readTaskLines(lines).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RdcError);
  return error as RdcError;
}

describe('readTaskLines', () => {
  it('names one problem shared by every line once, with the run of lines', async () => {
    const error = await failure(Array.from({ length: 1_500 }, (_, i) => `{"machine":"web-01","command":"echo ${i}"}`));
    expect(error.code).toBe('RDC_TASK_FILE_INVALID');
    expect(error.message).toMatch(/^1500 bad task specs in the tasks file, nothing enqueued: lines 1–1500: team: /);
    expect(error.message.length).toBeLessThan(200);
  });

  it('keeps different problems apart, each with its lines, in the order they first appear', async () => {
    const lines = [
      '{"team":"a","machine":"m","command":"x","priority":9}',
      'not json',
      '{"team":"a","machine":"m","command":"x"}',
      '{"team":"a","machine":"m","command":"x","priority":0}',
    ];
    const { message } = await failure(lines);
    expect(message).toMatch(/^3 bad task specs/);
    expect(message).toMatch(/: lines 1, 4: priority: .*; line 2: not JSON/);
  });
});

describe('lineList', () => {
  it('joins runs and counts what it leaves out', () => {
    expect(lineList([7])).toBe('line 7');
    expect(lineList([2, 5, 9, 10, 11, 12])).toBe('lines 2, 5, 9–12');
    const scattered = Array.from({ length: 15 }, (_, i) => 1 + i * 2);
    expect(lineList(scattered)).toBe('lines 1, 3, 5, 7, 9, 11, 13, 15, 17, 19 and 5 more');
  });
});
