import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode, isErrorCode } from './error-codes.js';

// The reference page users read; this test keeps it and ERROR_CODES in step (after fastify's errors test).
const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

/** The cells of each table row whose first cell is a code, keyed by that code. */
function tableRows(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of markdown.split('\n')) {
    const match = /^\|\s*`(RDC_[A-Z_]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    expect(rows.has(match[1]), `${match[1]} has two rows in docs/errors.md`).toBe(false);
    rows.set(
      match[1],
      match[2].split('|').map((cell) => cell.trim()),
    );
  }
  return rows;
}

describe('docs/errors.md', () => {
  const rows = tableRows(doc);

  it.each(CODES)('documents %s with its exit code and its exact fix', (code) => {
    const cells = rows.get(code);
    expect(cells, `${code} is missing from docs/errors.md`).toBeDefined();
    const [exit, when, fix] = cells ?? [];
    expect(exit).toBe(String(ERROR_CODES[code].exit));
    expect(when?.length, `${code} needs a "when it happens" text`).toBeGreaterThan(10);
    expect(fix).toBe(ERROR_CODES[code].fix);
  });

  it('names no code that ERROR_CODES lacks, anywhere on the page', () => {
    // Environment variables share the prefix: they are not codes.
    const envVariables = new Set(['RDC_HOME', 'RDC_LOG_LEVEL', 'RDC_ACTOR']);
    const mentioned = new Set((doc.match(/RDC_[A-Z_]+/g) ?? []).filter((name) => !envVariables.has(name)));
    expect([...mentioned].filter((code) => !isErrorCode(code))).toEqual([]);
  });

  it('has one table row per code, no more', () => {
    expect([...rows.keys()].sort()).toEqual([...CODES].sort());
  });
});

describe('ERROR_CODES', () => {
  it('uses RDC_ upper-case keys only', () => {
    for (const code of CODES) expect(code).toMatch(/^RDC_[A-Z]+(_[A-Z]+)*$/);
  });

  it('gives every code exit 1 or 2 and a fix that is a sentence', () => {
    for (const code of CODES) {
      expect([1, 2]).toContain(ERROR_CODES[code].exit);
      expect(ERROR_CODES[code].fix).toMatch(/^[A-Z].*[.)…]$/);
    }
  });

  it('keeps the codes that cross processes in failure reasons', () => {
    for (const code of ['RDC_CANCELLED', 'RDC_COMMAND_FAILED', 'RDC_TIMEOUT', 'RDC_JOB_DATA_INVALID', 'RDC_INTERNAL']) {
      expect(isErrorCode(code)).toBe(true);
    }
  });

  it('isErrorCode refuses unknown codes and inherited object keys', () => {
    for (const value of ['RDC_NOPE', 'rdc_internal', '', 'toString', '__proto__', 'constructor']) {
      expect(isErrorCode(value)).toBe(false);
    }
  });
});
