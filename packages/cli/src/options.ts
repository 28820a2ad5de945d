// Parsers for flag values: a bad value fails at parse time with a one-line message naming the flag
// and what it accepts (commander turns InvalidArgumentError into exit code 2).

import { durationSchema, teamNameSchema } from '@rediacc/core';
import { InvalidArgumentError } from 'commander';
import type { z } from 'zod';

export function integer(min: number, max: number) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be from ${min} to ${max}`);
    return n;
  };
}

/** A whole number from min to max, or "none" to remove a setting (commander turns a null result into ''). */
export function integerOrNone(min: number, max: number) {
  const parse = integer(min, max);
  return (value: string): number | 'none' => {
    if (value === 'none') return 'none';
    try {
      return parse(value);
    } catch {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}, or none`);
    }
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('must be a number of seconds, 0 or more');
  return n;
}

export function oneOf<T extends string>(allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`must be one of ${allowed.join(', ')}`);
    }
    return value as T;
  };
}

export function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be a JSON object, for example \'{"function":"deploy"}\'');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError('must be a JSON object, for example \'{"function":"deploy"}\'');
  }
  return parsed as Record<string, unknown>;
}

/** A comma-separated list, each item parsed by `schema`; at least one. */
export function listOf<S extends z.ZodType>(schema: S) {
  const one = schemaFlag(schema);
  return (value: string): z.output<S>[] => {
    const items = value
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (items.length === 0) throw new InvalidArgumentError('must name at least one');
    return items.map(one);
  };
}

export const teamList = listOf(teamNameSchema);

/** A duration as typed (`7d`, `15m`), checked here and kept as text for an SDK call that parses it itself. */
export function durationText(value: string): string {
  schemaFlag(durationSchema)(value);
  return value;
}

/** A flag value parsed by a zod schema: its first issue becomes the one-line message (exit 2, flag named). */
export function schemaFlag<S extends z.ZodType>(schema: S) {
  return (value: unknown): z.output<S> => {
    const result = schema.safeParse(value);
    if (!result.success) throw new InvalidArgumentError(result.error.issues[0]?.message ?? 'invalid value');
    return result.data;
  };
}

/** A repeatable flag parsed by a zod schema: values collect into an array. */
export function repeatable<S extends z.ZodType>(schema: S) {
  const parse = schemaFlag(schema);
  return (value: string, previous: z.output<S>[] | undefined): z.output<S>[] => [...(previous ?? []), parse(value)];
}
