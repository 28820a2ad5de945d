// Durations typed by people (`--since 1h`, `30d`): a whole number and one unit, nothing else, so a typo
// fails loudly instead of silently meaning something else.
import { z } from 'zod';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** At most ten years: enough for any archive, and far below Number.MAX_SAFE_INTEGER ms. */
const MAX_MS = 3_650 * UNIT_MS.d;

export const durationSchema = z
  .string({ error: 'duration must be a string' })
  .regex(/^[1-9]\d{0,6}[smhdw]$/, 'duration must be a whole number and a unit s, m, h, d or w (for example 1h, 30d)')
  .transform((text) => Number(text.slice(0, -1)) * UNIT_MS[text.slice(-1) as keyof typeof UNIT_MS])
  .refine((ms) => ms <= MAX_MS, 'duration must be at most 3650d');

/** Milliseconds in a duration like `90s`, `15m`, `1h`, `30d`, `2w`; throws a ZodError otherwise. */
export function parseDuration(text: string): number {
  return durationSchema.parse(text);
}
