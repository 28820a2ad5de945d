// The task flags `create task` and `schedule add` share (--machine, --command, --team, --priority, the retry and
// timeout flags, --run-once, --failure-action, --vault-data, --secret), and the task spec they describe: one
// definition, so the two commands take and mean the same flags.
import {
  commandSchema,
  machineNameSchema,
  type SecretRef,
  secretRefSchema,
  type TaskSpecInput,
  teamNameSchema,
  vaultDataSchema,
} from '@rediacc/core';
import type { Command } from 'commander';
import { integer, jsonObject, oneOf, positiveNumber, repeatable, schemaFlag } from '../options.js';

export interface TaskSpecOptions {
  team?: string;
  machine?: string;
  command: string;
  priority: number;
  maxRetries?: number;
  retryDelay?: number;
  backoff?: 'fixed' | 'exponential';
  maxRetryDelay?: number;
  timeout?: number;
  runOnce?: boolean;
  failureAction?: 'none' | 'alert';
  vaultData?: Record<string, unknown>;
  secret?: SecretRef[];
}

/** Adds the task flags to a command. */
export function taskSpecOptions(command: Command): Command {
  return command
    .option('--machine <name>', 'machine to run on, for example prod-01', schemaFlag(machineNameSchema))
    .requiredOption(
      '--command <command>',
      'shell command, for example "systemctl restart app"',
      schemaFlag(commandSchema),
    )
    .option(
      '--team <team>',
      'team of the machines (may be omitted when the machine name is unique, or the selected ones are of one team)',
      schemaFlag(teamNameSchema),
    )
    .option('--priority <1-5>', '1 critical … 5 whenever', integer(1, 5), 3)
    .option('--max-retries <n>', 'retries after the first try', integer(0, 100))
    .option('--retry-delay <seconds>', 'wait between tries', positiveNumber)
    .option(
      '--backoff <kind>',
      'fixed or exponential (doubles each retry, with jitter)',
      oneOf(['fixed', 'exponential'] as const),
    )
    .option('--max-retry-delay <seconds>', 'exponential backoff grows up to this (default 3600)', positiveNumber)
    .option('--timeout <seconds>', 'kill the command after this long', positiveNumber)
    .option('--run-once', 'never run the command twice: fail if a bridge dies and the machine lost the run')
    .option('--failure-action <action>', 'none or alert', oneOf(['none', 'alert'] as const))
    .option(
      '--vault-data <json>',
      'task configuration, sealed to the team key; the command gets it as JSON in $RDC_VAULT_DATA',
      (value: string) => schemaFlag(vaultDataSchema)(jsonObject(value)),
    )
    .option(
      '--secret <NAME|ENV=NAME>',
      'vault secret the command gets as environment variable NAME (or ENV); repeatable',
      repeatable(secretRefSchema),
    );
}

/** The task spec the flags describe, but for team and machine (the caller settles where it runs). */
export function taskSpecFrom(options: TaskSpecOptions): Omit<TaskSpecInput, 'team' | 'machine'> {
  return {
    command: options.command,
    priority: options.priority,
    ...(options.maxRetries !== undefined && { maxRetries: options.maxRetries }),
    ...(options.retryDelay !== undefined && { retryDelay: options.retryDelay }),
    ...(options.backoff !== undefined && { backoff: options.backoff }),
    ...(options.maxRetryDelay !== undefined && { maxRetryDelay: options.maxRetryDelay }),
    ...(options.timeout !== undefined && { timeout: options.timeout }),
    ...(options.runOnce && { runOnce: true }),
    ...(options.failureAction !== undefined && { failureAction: options.failureAction }),
    ...(options.vaultData !== undefined && { vaultData: options.vaultData }),
    ...(options.secret !== undefined && { secrets: options.secret }),
  };
}
