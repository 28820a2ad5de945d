// How commands print: `--json` for machines, a plain table or line for people. Only stdout carries results;
// notes, warnings and progress go to stderr. Every write goes through here: text for people is escaped when it
// goes to a terminal (terminal-text.ts), JSON never carries a raw control character.
import { escapeControls, jsonText, writeText } from './terminal-text.js';

export interface OutputOptions {
  json?: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${jsonText(value, 2)}\n`);
}

/** One value as one line of JSON (streams of events and entries). */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${jsonText(value)}\n`);
}

/** Text for people on stdout, as is: add the newline yourself (command output is printed as it came). */
export function printText(text: string): void {
  writeText(process.stdout, text);
}

export function printLine(line: string): void {
  writeText(process.stdout, `${line}\n`);
}

/** A note, warning or status line for people, on stderr. */
export function printNote(line: string): void {
  writeText(process.stderr, `${line}\n`);
}

export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) {
    printLine('(none)');
    return;
  }
  const cells = rows.map((row) => columns.map((c) => cell(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  printText(`${line(columns)}\n${cells.map(line).join('\n')}\n`);
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  // Escaped before measuring, so the columns line up on a terminal (escaping again when writing changes nothing).
  const oneLine = (process.stdout.isTTY ? escapeControls(text) : text).replace(/\s+/g, ' ');
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine;
}
