import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from './error-codes.js';
import { isRdcError, parseReason, RdcError } from './errors.js';

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

describe('RdcError', () => {
  it('carries its code, message, the fix from ERROR_CODES and the exit code', () => {
    const error = new RdcError('RDC_MACHINE_UNKNOWN', 'machine "db-9" is not registered in team "ops"');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RdcError');
    expect(error.code).toBe('RDC_MACHINE_UNKNOWN');
    expect(error.message).toBe('machine "db-9" is not registered in team "ops"');
    expect(error.fix).toBe(ERROR_CODES.RDC_MACHINE_UNKNOWN.fix);
    expect(error.exitCode).toBe(1);
  });

  it.each(CODES)('%s reports the exit code of its entry', (code) => {
    expect(new RdcError(code, 'x').exitCode).toBe(ERROR_CODES[code].exit);
  });

  it('is not retryable unless said so', () => {
    expect(new RdcError('RDC_SSH_CONNECT', 'x').retryable).toBe(false);
    expect(new RdcError('RDC_SSH_CONNECT', 'x', { retryable: true }).retryable).toBe(true);
  });

  it('keeps the cause when one is given, and has none otherwise', () => {
    const cause = new Error('ECONNREFUSED');
    expect(new RdcError('RDC_REDIS_UNAVAILABLE', 'x', { cause }).cause).toBe(cause);
    expect('cause' in new RdcError('RDC_REDIS_UNAVAILABLE', 'x')).toBe(false);
  });

  it('is recognised by isRdcError, and plain errors are not', () => {
    expect(isRdcError(new RdcError('RDC_INTERNAL', 'x'))).toBe(true);
    expect(isRdcError(new Error('RDC_INTERNAL: x'))).toBe(false);
    expect(isRdcError({ code: 'RDC_INTERNAL', message: 'x' })).toBe(false);
    expect(isRdcError(undefined)).toBe(false);
  });

  it('writes its failure reason as "CODE: message"', () => {
    expect(new RdcError('RDC_TIMEOUT', 'timed out after 30s').toReason()).toBe('RDC_TIMEOUT: timed out after 30s');
  });
});

describe('parseReason', () => {
  it.each(CODES)('reads back the code and message %s wrote with toReason', (code) => {
    const error = new RdcError(code, 'something about "prod-01"');
    expect(parseReason(error.toReason())).toEqual({ code, message: error.message });
  });

  it('property: toReason then parseReason gives back any code and any message, even multi-line or empty', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CODES), fc.string({ unit: 'binary' }), (code, message) => {
        expect(parseReason(new RdcError(code, message).toReason())).toEqual({ code, message });
      }),
    );
  });

  it.each([
    'RDC_NOT_A_CODE: something',
    'ERR_SOMETHING: x',
    'Error: connect ECONNREFUSED',
    'job stalled more than allowable limit (not quite)',
    'rdc_timeout: lower case',
    'RDC_TIMEOUT:no space',
    ' RDC_TIMEOUT: leading space',
    '',
  ])('gives code undefined and the whole reason as message for %j', (reason) => {
    expect(parseReason(reason)).toEqual({ code: undefined, message: reason });
  });

  it("reads BullMQ's own stall failure as RDC_BRIDGE_LOST", () => {
    expect(parseReason('job stalled more than allowable limit')).toMatchObject({ code: 'RDC_BRIDGE_LOST' });
    expect(parseReason('job stalled more than allowable limit').message).toMatch(/^bridge lost during execution/);
  });

  it('property: a reason with an unknown RDC_ prefix has no code and keeps the whole text', () => {
    const unknownCode = fc
      .string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ_'), minLength: 1, maxLength: 20 })
      .map((s) => `RDC_${s}`)
      .filter((s) => !(s in ERROR_CODES));
    fc.assert(
      fc.property(unknownCode, fc.string(), (code, message) => {
        const reason = `${code}: ${message}`;
        expect(parseReason(reason)).toEqual({ code: undefined, message: reason });
      }),
    );
  });

  it('only reads the code at the very start of the reason', () => {
    expect(parseReason('RDC_INTERNAL: RDC_CANCELLED: wrapped')).toEqual({
      code: 'RDC_INTERNAL',
      message: 'RDC_CANCELLED: wrapped',
    });
  });
});
