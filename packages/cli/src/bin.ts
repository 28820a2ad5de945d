#!/usr/bin/env node
// Entry point: runs the command, maps failures to exit codes. Usage errors exit 2, runtime errors exit 1
// with the error's code and the fix.
import { isRdcError } from '@rediacc/core';
import { CommanderError } from 'commander';
import { hideLongArguments } from './long-arguments.js';
import { buildProgram } from './program.js';

async function main(): Promise<number> {
  try {
    await buildProgram().parseAsync(process.argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed the one-line message (help and version exit 0).
      return error.exitCode === 0 ? 0 : 2;
    }
    if (isRdcError(error)) {
      process.stderr.write(`error ${error.code}: ${hideLongArguments(error.message)}\n  fix: ${error.fix}\n`);
      return error.exitCode;
    }
    process.stderr.write(
      `error RDC_INTERNAL: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

process.exit(await main());
