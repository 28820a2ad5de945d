// The rediacc command tree. Commands throw; only bin.ts decides exit codes.
import { Command } from 'commander';
import { registerAcl } from './commands/acl.js';
import { registerAlert } from './commands/alert.js';
import { registerArchive } from './commands/archive.js';
import { registerAudit } from './commands/audit.js';
import { registerBatch } from './commands/batch.js';
import { registerBridge } from './commands/bridge.js';
import { registerCancel } from './commands/cancel.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerMachine } from './commands/machine.js';
import { registerSchedule } from './commands/schedule.js';
import { registerTask } from './commands/task.js';
import { registerTaskFile } from './commands/task-file.js';
import { registerTeam } from './commands/team.js';
import { registerUp } from './commands/up.js';
import { registerVault } from './commands/vault.js';
import { hideLongArguments } from './long-arguments.js';
import { printText } from './output.js';
import { writeText } from './terminal-text.js';
import { cliVersion } from './version.js';

export function buildProgram(): Command {
  const program = new Command('rediacc')
    .description(
      'Run shell commands on many machines through a Redis-backed priority queue.\nREDIS_URL selects the Redis (default: the stack `rediacc up` runs, else redis://127.0.0.1:6379);\nREDIS_SENTINELS + REDIS_SENTINEL_NAME a Sentinel set, REDIS_CLUSTER_NODES a Redis Cluster (see README).',
    )
    .version(cliVersion(), '-V, --version', 'print the version of rediacc')
    .showHelpAfterError('(run with --help for usage)');
  registerUp(program);
  registerTeam(program);
  registerMachine(program);
  registerTask(program);
  registerTaskFile(program);
  registerSchedule(program);
  registerArchive(program);
  registerCancel(program);
  registerBatch(program);
  registerBridge(program);
  registerVault(program);
  registerAcl(program);
  registerAudit(program);
  registerDashboard(program);
  registerAlert(program);
  for (const command of [program, ...allCommands(program)]) {
    command.exitOverride();
    // Commander's messages quote the bad argument as typed: a long one is named by its size, and all of it is
    // escaped on a terminal like every text for people.
    command.configureOutput({
      writeOut: printText,
      writeErr: (text) => writeText(process.stderr, text),
      outputError: (message, write) => write(hideLongArguments(message)),
    });
  }
  return program;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...allCommands(c)]);
}
