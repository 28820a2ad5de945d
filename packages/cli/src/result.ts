// What a command handler returns: what to print, in order, and how the command ends. Handlers are plain functions
// (parsed options and an SDK client in, a CommandResult out) so tests call them without spawning; the commander
// wiring (`runCommand` in context.ts) prints the result, and only bin.ts turns its exit code into the process's.
import type { RdcError } from '@rediacc/core';
import { printJson, printJsonLine, printNote, printTable, printText } from './output.js';

export type Printed =
  /** One JSON document on stdout (--json). */
  | { to: 'stdout'; json: unknown }
  /** One JSON value as one line on stdout (streams of entries). */
  | { to: 'stdout'; jsonLine: unknown }
  /** Text on stdout, as is (add the newline yourself). */
  | { to: 'stdout'; text: string }
  /** Rows as a table on stdout. */
  | { to: 'stdout'; table: Record<string, unknown>[]; columns: string[] }
  /** A note, warning or status line on stderr. */
  | { to: 'stderr'; note: string };

export interface CommandResult {
  printed: Printed[];
  /** 0 unless the handler says otherwise. */
  exitCode: number;
  /** The command failed after printing: bin.ts prints the error with its fix and exits with its code. */
  error?: RdcError;
}

export const json = (value: unknown): Printed => ({ to: 'stdout', json: value });
export const jsonLine = (value: unknown): Printed => ({ to: 'stdout', jsonLine: value });
export const line = (text: string): Printed => ({ to: 'stdout', text: `${text}\n` });
export const text = (value: string): Printed => ({ to: 'stdout', text: value });
export const table = (rows: Record<string, unknown>[], columns: string[]): Printed => ({
  to: 'stdout',
  table: rows,
  columns,
});
export const note = (value: string): Printed => ({ to: 'stderr', note: value });

/** A result that prints `printed` and exits 0. */
export function done(...printed: Printed[]): CommandResult {
  return { printed, exitCode: 0 };
}

/** A result that prints `printed` and exits `exitCode`. */
export function endWith(exitCode: number, ...printed: Printed[]): CommandResult {
  return { printed, exitCode };
}

/** A result that prints `printed`, then fails with `error` (its code and fix, its exit code). */
export function failWith(error: RdcError, ...printed: Printed[]): CommandResult {
  return { printed, exitCode: error.exitCode, error };
}

/** The one --json document a result prints (tests read it; undefined when it printed none). */
export function jsonOf(result: CommandResult): unknown {
  for (const p of result.printed) if ('json' in p) return p.json;
  return undefined;
}

export function show(printed: readonly Printed[]): void {
  for (const p of printed) {
    if ('note' in p) printNote(p.note);
    else if ('json' in p) printJson(p.json);
    else if ('jsonLine' in p) printJsonLine(p.jsonLine);
    else if ('table' in p) printTable(p.table, p.columns);
    else printText(p.text);
  }
}

/**
 * A command ended with a non-zero exit code it chose (not an error): thrown by the wiring once the result is
 * printed, caught by bin.ts, the only place that sets the process's exit code.
 */
export class CommandExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'CommandExit';
  }
}
