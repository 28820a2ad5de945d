import { describe, expect, it } from 'vitest';
import { hideLongArguments, MAX_ECHOED_ARGUMENT } from './long-arguments.js';

describe('hideLongArguments', () => {
  const long = 'x'.repeat(70_000);

  it('names the size of a long value instead of printing it', () => {
    const message = `error: option '--command <command>' argument '${long}' is invalid. too long`;
    expect(hideLongArguments(message, ['create', '--command', long])).toBe(
      "error: option '--command <command>' argument '(70000 bytes, not shown)' is invalid. too long",
    );
  });

  it('finds the value of --flag=value', () => {
    expect(hideLongArguments(`argument '${long}' is invalid`, [`--command=${long}`])).toBe(
      "argument '(70000 bytes, not shown)' is invalid",
    );
  });

  it('leaves short values as they are', () => {
    const short = 'y'.repeat(MAX_ECHOED_ARGUMENT);
    expect(hideLongArguments(`name '${short}'`, [short])).toBe(`name '${short}'`);
  });

  it('counts bytes, not characters', () => {
    const wide = 'é'.repeat(300);
    expect(hideLongArguments(`'${wide}'`, [wide])).toBe("'(600 bytes, not shown)'");
  });
});
