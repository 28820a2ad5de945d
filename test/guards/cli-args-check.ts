// `rediacc ARGS…` as a deployment file writes it (compose command, Kubernetes args, a README line) held against the
// real commander program: the subcommands, each flag, its value. One line per problem.
import type { Command } from 'commander';

/**
 * `rediacc ARGS…` against the real program: the subcommands exist, every flag belongs to the command, its value
 * passes the flag's own parser and choices, required flags and arguments are there.
 */
export function cliProblems(program: Command, args: readonly string[], where: string): string[] {
  const problems: string[] = [];
  let command = program;
  const path: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const sub = command.commands.find((c) => c.name() === args[i] || c.aliases().includes(String(args[i])));
    if (!sub) break;
    command = sub;
    path.push(String(args[i]));
  }
  const name = ['rediacc', ...path].join(' ');
  const help = args.includes('--help') || args.includes('-h');
  if (command.commands.length > 0 && !help) {
    return [`${where}: ${name} ${args[i] ?? ''}: no such command (expected one of ${subcommands(command)})`];
  }
  const given = new Set<string>();
  let positional = 0;
  for (; i < args.length; i++) {
    const token = String(args[i]);
    if (!token.startsWith('-')) {
      positional++;
      continue;
    }
    if (token === '--help' || token === '-h') continue;
    const eq = token.indexOf('=');
    const flag = eq > 0 ? token.slice(0, eq) : token;
    const option = command.options.find((o) => o.long === flag || o.short === flag);
    if (!option) {
      problems.push(`${where}: ${name} has no option ${flag}`);
      continue;
    }
    given.add(option.attributeName());
    if (!option.required && !option.optional) continue;
    const value = eq > 0 ? token.slice(eq + 1) : args[++i];
    if (value === undefined) {
      problems.push(`${where}: ${name} ${flag} needs a value`);
      continue;
    }
    if (option.argChoices && !option.argChoices.includes(value)) {
      problems.push(`${where}: ${name} ${flag} ${value}: not one of ${option.argChoices.join(', ')}`);
    }
    if (value.startsWith('$')) continue; // filled in by the shell
    try {
      option.parseArg?.(value, option.defaultValue);
    } catch (error) {
      problems.push(`${where}: ${name} ${flag} ${value}: ${(error as Error).message}`);
    }
  }
  if (help) return problems;
  for (const option of command.options.filter((o) => o.mandatory && !given.has(o.attributeName()))) {
    problems.push(`${where}: ${name} needs ${option.long}`);
  }
  const required = command.registeredArguments.filter((a) => a.required).length;
  if (positional < required) problems.push(`${where}: ${name} needs ${required} argument(s), got ${positional}`);
  return problems;
}

function subcommands(command: Command): string {
  return command.commands.map((c) => c.name()).join(', ');
}

/** The value a flag has in an argument list (`--flag value` or `--flag=value`). */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) return args[i + 1];
    if (args[i]?.startsWith(`${flag}=`)) return args[i]?.slice(flag.length + 1);
  }
  return undefined;
}
