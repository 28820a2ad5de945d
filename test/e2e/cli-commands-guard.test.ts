// Every command and every option of the `rediacc` program is driven by at least one case of the CLI tables
// (cli-table/*-cases.ts): a new command or flag without a case fails here, naming it.
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../packages/cli/src/program.js';
import { adminCases } from './cli-table/admin-cases.js';
import { fanoutCases } from './cli-table/fanout-cases.js';
import { fleetOpsCases } from './cli-table/fleet-ops-cases.js';
import { serverCases } from './cli-table/server-cases.js';
import { commandSurface, drivenBy, uncovered } from './cli-table/table.js';
import { taskCases } from './cli-table/task-cases.js';

const TABLES = [adminCases, taskCases, serverCases, fanoutCases, fleetOpsCases];

describe('the CLI tables', () => {
  it('drive every command and option of rediacc', () => {
    const program = buildProgram();
    expect(commandSurface(program)).toContain('create task --wait-timeout');
    expect(uncovered(program, TABLES)).toEqual([]);
  });

  it('name a command or option no case drives (a planted --dry-run on create task)', () => {
    const program = buildProgram();
    const createTask = program.commands.find((c) => c.name() === 'create')?.commands.find((c) => c.name() === 'task');
    createTask?.option('--dry-run', 'planted: no case passes it');
    program.command('planted').description('planted: no case runs it');
    expect(uncovered(program, TABLES)).toEqual(['create task --dry-run', 'planted']);
  });

  it('read what a run drives from its arguments: the command path, then its own options', () => {
    const program = buildProgram();
    expect(drivenBy(program, ['machine', 'set', 'm1', '--team', 'T', '--max-concurrent=2'])).toEqual([
      'machine',
      'machine set',
      'machine set --team',
      'machine set --max-concurrent',
    ]);
    // An option of another command, or a value that looks like a command, counts for nothing.
    expect(drivenBy(program, ['team', 'list', '--all', 'machine'])).toEqual(['team', 'team list']);
  });
});
