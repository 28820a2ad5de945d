import { parseInput } from '@rediacc/core';
import { z } from 'zod';

// Ids we create are UUIDs; ids given back to us are checked for shape before they reach a Redis key.
const taskIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,128}$/, 'task id must be the UUID that `create task` printed (letters, digits and "-")');

export function parseTaskId(id: unknown): string {
  return parseInput(taskIdSchema, id, 'task id');
}
