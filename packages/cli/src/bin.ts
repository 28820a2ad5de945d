#!/usr/bin/env node
// Entry point: runs the command, maps failures to exit codes (the only place that sets the process's exit code). Usage errors exit 2, runtime errors exit 1
// with the error's code and the fix.
import { isRdcError } from '@rediacc/core';
import { CommanderError } from 'commander';
import { hideLongArguments } from './long-arguments.js';
import { printNote } from './output.js';
import { buildProgram } from './program.js';
import { CommandExit } from './result.js';

// A reader that stops early (`rediacc list queue | head`) closes the pipe: what is left has nowhere to go, which
// is no failure of the command. It ends as it would have, without printing a stack trace.
// A terminal that was closed (EIO) is the same: `up` stopping after a hang-up must still clean up.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'EIO') throw error;
  });
}

async function main(): Promise<number> {
  try {
    await buildProgram().parseAsync(process.argv);
    return 0;
  } catch (error) {
    // A command that chose its exit code (a task's, a partial cancel) has printed everything already.
    if (error instanceof CommandExit) return error.exitCode;
    if (error instanceof CommanderError) {
      // commander already printed the one-line message (help and version exit 0).
      return error.exitCode === 0 ? 0 : 2;
    }
    if (isRdcError(error)) {
      // The message may quote a machine's output (a failed command's tail): escaped on a terminal like the rest.
      printNote(`error ${error.code}: ${hideLongArguments(error.message)}\n  fix: ${error.fix}`);
      return error.exitCode;
    }
    printNote(`error RDC_INTERNAL: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}

const code = await main();
// Writes to a pipe are asynchronous: exiting at once would cut what a slow reader has not taken yet (at 64 KiB).
// Exit only once stdout and stderr have handed everything to the OS; exit rather than wait for the event loop
// to empty, so a handle a library forgot to close cannot keep a finished command running.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);

/** Resolves once everything written to the stream before this call has left the process (or the stream failed). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}
