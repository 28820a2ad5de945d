import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RdcError } from './errors.js';
import { formatIssues, parseInput } from './validation.js';

const schema = z.object({ name: z.string().min(1, 'name must not be empty'), port: z.number().int() });

describe('parseInput', () => {
  it('returns the parsed value when it is valid', () => {
    expect(parseInput(schema, { name: 'db', port: 5432 }, 'machine')).toEqual({ name: 'db', port: 5432 });
  });

  it('throws RDC_INVALID_INPUT naming what was parsed and every bad field', () => {
    let error: unknown;
    try {
      parseInput(schema, { name: '', port: 1.5 }, 'machine');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RdcError);
    expect((error as RdcError).code).toBe('RDC_INVALID_INPUT');
    expect((error as RdcError).exitCode).toBe(2);
    expect((error as RdcError).message).toMatch(/^invalid machine: name: name must not be empty; port: /);
  });
});

describe('formatIssues', () => {
  it('joins issues as "path: message" with nested paths dotted', () => {
    const nested = z.object({ a: z.object({ b: z.array(z.number()) }) });
    const result = nested.safeParse({ a: { b: [1, 'x'] } });
    expect(formatIssues(result.error?.issues ?? [])).toMatch(/^a\.b\.1: /);
  });

  it('uses the label for an issue without a path, and the bare message without either', () => {
    const result = z.string().min(3, 'too short').safeParse('x');
    const issues = result.error?.issues ?? [];
    expect(formatIssues(issues, 'team')).toBe('team: too short');
    expect(formatIssues(issues)).toBe('too short');
  });
});
