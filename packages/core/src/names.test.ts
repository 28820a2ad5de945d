import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { machineNameSchema, NAME_PATTERN, nameSchema, teamNameSchema } from './names.js';

describe('NAME_PATTERN', () => {
  it.each(['a', 'prod-01', 'web.eu_west-2', 'A'.repeat(64), '0', '_', '-'])('accepts %j', (name) => {
    expect(NAME_PATTERN.test(name)).toBe(true);
  });

  it.each(['', 'a'.repeat(65), '{ops}', 'a:b', 'a b', 'a/b', 'ä', 'a\n', '\na', 'a*', "a'b", 'a$b'])(
    'refuses %j',
    (name) => {
      expect(NAME_PATTERN.test(name)).toBe(false);
    },
  );

  it('property: a name with a line break anywhere is refused (no multi-line match)', () => {
    const part = fc.string({ unit: fc.constantFrom(...'abc019._-'), maxLength: 20 });
    fc.assert(
      fc.property(part, fc.constantFrom('\n', '\r', '\r\n', '\u2028'), part, (before, lineBreak, after) => {
        expect(NAME_PATTERN.test(before + lineBreak + after)).toBe(false);
      }),
    );
  });
});

describe('nameSchema', () => {
  it('names the kind of name and gives an example in its message', () => {
    const team = teamNameSchema.safeParse('a b');
    const machine = machineNameSchema.safeParse('a b');
    expect(team.error?.issues[0]?.message).toMatch(/^team name must be 1-64 characters .*"prod-01"/);
    expect(machine.error?.issues[0]?.message).toMatch(/^machine name must be 1-64 characters .*"prod-01"/);
  });

  it('says a name must be a string when it is not', () => {
    expect(nameSchema('team').safeParse(7).error?.issues[0]?.message).toBe('team name must be a string');
    expect(nameSchema('machine').safeParse(null).error?.issues[0]?.message).toBe('machine name must be a string');
  });
});
