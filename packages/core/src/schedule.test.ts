import { describe, expect, it } from 'vitest';
import { batchSpecSchema } from './batch.js';
import { cronSchema, scheduleSpecSchema } from './schedule.js';

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

describe('scheduleSpecSchema fanOut', () => {
  const spec = (fanOut: unknown) => ({
    name: 'nightly',
    team: 'ops',
    every: '1m',
    task: { team: 'ops', command: 'uptime' },
    fanOut,
  });

  it('refuses a machine named twice, as a batch does (--machines a,a)', () => {
    const result = scheduleSpecSchema.safeParse(spec({ machines: ['a', 'a'] }));
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('machines names a machine twice; a batch runs once per machine');
    expect(result.error?.issues[0]?.message).toBe(
      batchSpecSchema.safeParse({ team: 'ops', command: 'uptime', machines: ['a', 'a'] }).error?.issues[0]?.message,
    );
  });

  it('takes distinct machines or a selector, and not both', () => {
    expect(scheduleSpecSchema.safeParse(spec({ machines: ['a', 'b'] })).success).toBe(true);
    expect(scheduleSpecSchema.safeParse(spec({ select: { role: 'web' } })).success).toBe(true);
    const both = scheduleSpecSchema.safeParse(spec({ machines: ['a'], select: { role: 'web' } }));
    expect(both.error?.issues[0]?.message).toMatch(/exactly one of machines \(a list\) or select/);
  });
});
