// Names of teams and machines: they end up inside Redis keys ({team} hash tags) and in file names,
// so they are restricted to a small, shell- and key-safe alphabet.
import { z } from 'zod';

export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export function nameSchema(what: 'team' | 'machine') {
  return z
    .string({ error: `${what} name must be a string` })
    .regex(
      NAME_PATTERN,
      `${what} name must be 1-64 characters of letters, digits, '.', '_' or '-' (for example "prod-01")`,
    );
}

export const teamNameSchema = nameSchema('team');
export const machineNameSchema = nameSchema('machine');
