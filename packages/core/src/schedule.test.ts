import { describe, expect, it } from 'vitest';
import { cronSchema } from './schedule.js';

describe('cronSchema', () => {
  it('takes the patterns BullMQ takes, with five or six fields', () => {
    for (const pattern of ['0 3 * * *', '*/5 * * * *', '30 0 3 * * 1-5', '0 0 1 jan *']) {
      expect(cronSchema.parse(pattern)).toBe(pattern);
    }
  });

  it("refuses a pattern BullMQ's parser would refuse later, saying which field and how to write one", () => {
    for (const [pattern, why] of [
      ['61 * * * *', /expected range 0-59/],
      ['0 25 * * *', /expected range 0-23/],
      ['0 3 * * mon-xyz', /./],
    ] as const) {
      const result = cronSchema.safeParse(pattern);
      expect(result.success, pattern).toBe(false);
      const message = result.error?.issues[0]?.message ?? '';
      expect(message).toContain(`cron "${pattern}" is not a valid pattern`);
      expect(message).toMatch(why);
      expect(message).toContain('"0 3 * * *"');
    }
  });
});
