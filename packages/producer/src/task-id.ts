import { parseInput, taskIdSchema } from '@rediacc/core';

// Ids given back to us are checked against the one task-id schema (core's) before they reach a Redis key.
export function parseTaskId(id: unknown): string {
  return parseInput(taskIdSchema, id, 'task id');
}
