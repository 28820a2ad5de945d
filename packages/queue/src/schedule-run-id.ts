// The ids a schedule's run derives from its trigger job's id, so a run retried after a crash adds the same tasks.
import { createHash } from 'node:crypto';

/** The task id of one trigger: a UUID (version 8, name-based) from the team and the trigger's job id. */
export function runTaskId(team: string, triggerId: string): string {
  const h = createHash('sha256').update(`${team}\0${triggerId}`).digest('hex');
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
