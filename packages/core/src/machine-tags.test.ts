import { describe, expect, it } from 'vitest';
import { formatTags, machineTagsSchema, matchesSelector, selectorSchema, tagPairSchema } from './machine-tags.js';

describe('tagPairSchema', () => {
  it('splits key=value at the first "="', () => {
    expect(tagPairSchema.parse('role=web')).toEqual({ key: 'role', value: 'web' });
  });

  it.each([
    ['web', /must be key=value/],
    ['=web', /must be key=value/],
    ['role=', /tag value must be/],
    ['ro le=web', /tag key must be/],
    ['role=a=b', /tag value must be/],
    [`role=${'x'.repeat(64)}`, /tag value must be 1-63 characters/],
  ])('refuses %s with a message saying what is wrong', (text, message) => {
    const result = tagPairSchema.safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(message);
  });
});

describe('selectorSchema', () => {
  it('reads role=web,env=prod and the object form alike', () => {
    expect(selectorSchema.parse('role=web, env=prod')).toEqual({ role: 'web', env: 'prod' });
    expect(selectorSchema.parse({ role: 'web' })).toEqual({ role: 'web' });
  });

  it('refuses an empty selector and a bad pair', () => {
    expect(selectorSchema.safeParse(',').error?.issues[0]?.message).toMatch(/at least one key=value/);
    expect(selectorSchema.safeParse({}).error?.issues[0]?.message).toMatch(/at least one key=value/);
    expect(selectorSchema.safeParse('role').error?.issues[0]?.message).toMatch(/must be key=value/);
  });
});

describe('matchesSelector', () => {
  it('needs every pair of the selector', () => {
    const tags = { role: 'web', env: 'prod' };
    expect(matchesSelector(tags, { role: 'web' })).toBe(true);
    expect(matchesSelector(tags, { role: 'web', env: 'dev' })).toBe(false);
    expect(matchesSelector(undefined, { role: 'web' })).toBe(false);
  });
});

it('caps the tags of a machine and formats them sorted', () => {
  const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
  expect(machineTagsSchema.safeParse(many).error?.issues[0]?.message).toMatch(/at most 32 tags/);
  expect(formatTags({ role: 'web', env: 'prod' })).toBe('env=prod,role=web');
});
