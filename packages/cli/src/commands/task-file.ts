// rediacc create tasks --file tasks.jsonl (or - for stdin): many tasks at once, all or none. The file is read line
// by line (never whole into memory as text); every line is checked before anything is enqueued, and the tasks go in
// through the SDK's createMany, which adds them all or none.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { RdcError, teamNameSchema } from '@rediacc/core';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { schemaFlag } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, json, text } from '../result.js';

interface CreateTasksOptions extends OutputOptions {
  file: string;
  team?: string;
}

/** Prints one task id per line (`--json`: an array of the created tasks), in the file's order. */
export const createTasksFromFile: Handler<CreateTasksOptions> = async (options, client) => {
  const created = await client.tasks.createFromLines(fileLines(options.file), {
    ...(options.team !== undefined && { team: options.team }),
  });
  if (options.json) return done(json(created));
  return done(text(created.map((c) => `${c.taskId}\n`).join('')));
};

/** The lines of a file, or of stdin for "-", as they are read. */
async function* fileLines(path: string): AsyncGenerator<string> {
  const input = path === '-' ? process.stdin : createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    yield* lines;
  } catch (error) {
    throw new RdcError(
      'RDC_TASK_FILE_INVALID',
      `cannot read the tasks file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  } finally {
    lines.close();
  }
}

export function registerTaskFile(program: Command): void {
  const create = program.commands.find((c) => c.name() === 'create');
  if (!create) throw new Error('registerTaskFile runs after registerTask (it adds to `create`)');
  create
    .command('tasks')
    .description(
      'queue many tasks at once, all or none: one JSON task spec per line (the fields of create task: team, machine, command, priority, …); prints the task ids',
    )
    .requiredOption('--file <path>', 'the tasks file (JSON lines), or - for stdin')
    .option('--team <team>', 'team of the lines that name none', schemaFlag(teamNameSchema))
    .option('--json', 'machine-readable output (an array of the created tasks)')
    .action((options: CreateTasksOptions) => runCommand(createTasksFromFile, options));
}
