// Turns zod failures into one RdcError whose message names every bad field, so a user
// fixes all of them in one go instead of one per attempt.
import type { z } from 'zod';
import { RdcError } from './errors.js';

export function formatIssues(issues: readonly z.core.$ZodIssue[], label?: string): string {
  const parts = issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const where = path || label;
    return where ? `${where}: ${issue.message}` : issue.message;
  });
  return parts.join('; ');
}

/** Parses `value` with `schema`, throwing RDC_INVALID_INPUT (what + every issue) on failure. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new RdcError('RDC_INVALID_INPUT', `invalid ${what}: ${formatIssues(result.error.issues)}`);
}
