// rediacc alert rule add --team T (--pending-above N --for D | --no-bridge-for D | --machine-unreachable-for D)
// | rule list [--team T] | rule remove ID. add prints the new rule's id on its last line.
import { type AlertRule, alertForSchema, alertRuleIdSchema, RdcError, teamNameSchema } from '@rediacc/core';
import type { NewAlertRule } from '@rediacc/producer';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { integer, schemaFlag } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, json, line, table } from '../result.js';

interface AddOptions extends OutputOptions {
  team: string;
  pendingAbove?: number;
  for?: string;
  /**
   * --no-bridge-for: commander reads a `--no-` flag as the negation of `bridgeFor`, which is `true` when the flag
   * is absent and the flag's value when given.
   */
  bridgeFor?: string | boolean;
  machineUnreachableFor?: string;
}

/** A duration flag checked by core's parser, kept as typed (the SDK parses it again). */
function duration(value: string): string {
  schemaFlag(alertForSchema)(value);
  return value;
}

export const ruleAdd: Handler<AddOptions> = async (options, client) => {
  const added = await client.alerts.addRule(ruleOf(options));
  return done(
    options.json
      ? json(describe(added))
      : line(`alert rule added to team ${added.team}: ${condition(added)}; its id:\n${added.id}`),
  );
};

export const ruleList: Handler<OutputOptions & { team?: string }> = async (options, client) => {
  const rows = (await client.alerts.listRules(options.team)).map(describe);
  return done(options.json ? json(rows) : table(rows, ['id', 'team', 'condition', 'createdAt', 'createdBy']));
};

export const ruleRemove: Handler<OutputOptions & { id: string }> = async (options, client) => {
  const removed = describe(await client.alerts.removeRule(options.id));
  return done(options.json ? json(removed) : line(`alert rule ${removed.id} removed`));
};

export function registerAlertRule(alert: Command): void {
  const rule = alert.command('rule').description('when alerts fire: queue depth, no live bridge, unreachable machines');
  rule
    .command('add')
    .requiredOption('--team <team>', 'team the rule watches', schemaFlag(teamNameSchema))
    .option(
      '--pending-above <n>',
      'fire while the team has more than N pending tasks (with --for)',
      integer(0, 100_000_000),
    )
    .option('--for <duration>', 'how long --pending-above must hold before it fires, e.g. 2m', duration)
    .option(
      '--no-bridge-for <duration>',
      'fire when the team has pending tasks and no live bridge for this long',
      duration,
    )
    .option(
      '--machine-unreachable-for <duration>',
      "fire when one of the team's machines is unreachable for this long (one alert per machine)",
      duration,
    )
    .option('--json', 'machine-readable output')
    .description('add an alert rule (one kind per rule); its id is printed on the last line')
    .action((options: AddOptions) => runCommand(ruleAdd, options));
  rule
    .command('list')
    .option('--team <team>', "this team's rules (default: every team this user may read)", schemaFlag(teamNameSchema))
    .option('--json', 'machine-readable output')
    .description('list alert rules')
    .action((options: OutputOptions & { team?: string }) => runCommand(ruleList, options));
  rule
    .command('remove')
    .argument('<id>', 'rule id, as `alert rule list` shows it', schemaFlag(alertRuleIdSchema))
    .option('--json', 'machine-readable output')
    .description('remove an alert rule; an alert it fired resolves at the next evaluation')
    .action((id: string, options: OutputOptions) => runCommand(ruleRemove, { ...options, id }));
}

function ruleOf(options: AddOptions): NewAlertRule {
  const noBridgeFor = typeof options.bridgeFor === 'string' ? options.bridgeFor : undefined;
  const kinds = [
    options.pendingAbove !== undefined && 'pending-above',
    noBridgeFor !== undefined && 'no-bridge',
    options.machineUnreachableFor !== undefined && 'machine-unreachable',
  ].filter(Boolean);
  if (kinds.length !== 1) {
    throw new RdcError(
      'RDC_INVALID_INPUT',
      'an alert rule needs exactly one of --pending-above N --for D, --no-bridge-for D or --machine-unreachable-for D',
    );
  }
  if (options.pendingAbove !== undefined) {
    if (options.for === undefined)
      throw new RdcError('RDC_INVALID_INPUT', '--pending-above needs --for D, e.g. --for 2m');
    return { team: options.team, kind: 'pending-above', threshold: options.pendingAbove, for: options.for };
  }
  if (options.for !== undefined) {
    throw new RdcError('RDC_INVALID_INPUT', '--for goes with --pending-above; the other kinds carry their duration');
  }
  if (noBridgeFor !== undefined) return { team: options.team, kind: 'no-bridge', for: noBridgeFor };
  return { team: options.team, kind: 'machine-unreachable', for: String(options.machineUnreachableFor) };
}

function condition(rule: AlertRule): string {
  const forText = `${rule.forMs / 1000}s`;
  if (rule.kind === 'pending-above') return `more than ${rule.threshold} pending tasks for ${forText}`;
  if (rule.kind === 'no-bridge') return `pending tasks and no live bridge for ${forText}`;
  return `a machine unreachable for ${forText}`;
}

function describe(rule: AlertRule) {
  return {
    id: rule.id,
    team: rule.team,
    kind: rule.kind,
    threshold: rule.threshold,
    forMs: rule.forMs,
    condition: condition(rule),
    createdAt: new Date(rule.createdAt).toISOString(),
    createdBy: rule.createdBy,
  };
}
