import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeControls, jsonText, writeText } from './terminal-text.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
// Strings rich in control characters, ESC sequences and backslashes, beside ordinary and astral text.
const hostile = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)),
    fc.constantFrom('\x1b[31m', '\x1b]52;c;aGk=\x07', '\x9b2J', '\\', 'é', '😀', '\u2028'),
    fc.string({ unit: 'grapheme', maxLength: 3 }),
  ),
});

function readEscapes(text: string): string {
  return text.replace(/\\x([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

describe('escapeControls', () => {
  it.each([
    ['\x1b[31mred\x1b[0m', '\\x1b[31mred\\x1b[0m'],
    ['\x1b]52;c;aGk=\x07', '\\x1b]52;c;aGk=\\x07'],
    ['bar\r', 'bar\\x0d'],
    ['\x00\x7f\x9b', '\\x00\\x7f\\x9b'],
    ['line\n\tindented\n', 'line\n\tindented\n'],
    ['ünïcode 😀 \\x1b', 'ünïcode 😀 \\x1b'],
  ])('writes %j as %j', (raw, shown) => {
    expect(escapeControls(raw)).toBe(shown);
  });

  it('property: no control character but \\n and \\t is left', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        expect(escapeControls(text)).not.toMatch(CONTROL);
      }),
    );
  });

  it('property: text without control characters is unchanged', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const plain = text.replace(new RegExp(CONTROL, 'g'), '');
        expect(escapeControls(plain)).toBe(plain);
      }),
    );
  });

  it('property: what is shown reads back as the original (text without backslashes)', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const noBackslash = text.replaceAll('\\', '');
        expect(readEscapes(escapeControls(noBackslash))).toBe(noBackslash);
      }),
    );
  });

  it('property: escaping escaped text changes nothing', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const once = escapeControls(text);
        expect(escapeControls(once)).toBe(once);
      }),
    );
  });

  it('property: escaping chunk by chunk equals escaping the whole (followed output arrives in chunks)', () => {
    fc.assert(
      fc.property(hostile, fc.nat(), (text, at) => {
        const cut = at % (text.length + 1);
        expect(escapeControls(text.slice(0, cut)) + escapeControls(text.slice(cut))).toBe(escapeControls(text));
      }),
    );
  });
});

describe('writeText', () => {
  function sink(isTTY: boolean): { stream: NodeJS.WritableStream & { isTTY: boolean }; written: string[] } {
    const written: string[] = [];
    const stream = { isTTY, write: (chunk: string) => written.push(chunk) > 0 } as unknown as NodeJS.WritableStream & {
      isTTY: boolean;
    };
    return { stream, written };
  }

  it('escapes for a terminal and writes the exact text elsewhere', () => {
    const tty = sink(true);
    const pipe = sink(false);
    writeText(tty.stream, 'a\x1b[2Jb\n');
    writeText(pipe.stream, 'a\x1b[2Jb\n');
    expect(tty.written).toEqual(['a\\x1b[2Jb\n']);
    expect(pipe.written).toEqual(['a\x1b[2Jb\n']);
  });
});

describe('jsonText', () => {
  it('property: parses back to the same value, with no raw control character but the indent newlines', () => {
    fc.assert(
      fc.property(fc.jsonValue(), hostile, fc.constantFrom(undefined, 2), (value, text, indent) => {
        const tree = { value, text, [text]: [text] };
        const json = jsonText(tree, indent);
        expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(tree)));
        expect(json).not.toMatch(CONTROL);
      }),
    );
  });

  it('writes DEL and C1 as \\u escapes', () => {
    expect(jsonText('\x7f\x9b\x1b')).toBe('"\\u007f\\u009b\\u001b"');
  });
});
