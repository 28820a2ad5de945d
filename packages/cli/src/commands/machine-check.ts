// The SSH login check from the terminal: `machine add` runs it before it registers anything, and
// `machine check NAME` runs it on a registered machine with the key sealed in the team's vault.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  checkMachineLogin,
  type LoginCheckResult,
  type LoginCheckTarget,
  loadMachineKey,
  readTeamKeyFile,
} from '@rediacc/bridge';
import { checkPrivateKey, machineNameSchema, RdcError, teamNameSchema } from '@rediacc/core';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { schemaFlag } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, endWith, failWith, json, line } from '../result.js';

export interface KeyFileContents {
  text: string;
  /** For messages: "key file /path (SHA256:…)". */
  source: string;
}

/** Reads a machine's private key file and checks it is a usable key (RDC_KEY_FILE otherwise). */
export async function readMachineKeyFile(path: string): Promise<KeyFileContents> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RdcError('RDC_KEY_FILE', `cannot read key file ${absolute}: ${code ?? String(error)}`, { cause: error });
  }
  const info = checkPrivateKey(text, `key file ${absolute}`);
  return { text, source: `key file ${absolute}${info.fingerprint ? `, key ${info.fingerprint}` : ''}` };
}

/**
 * The login check of a machine about to be added: resolves to the host key to pin, or throws the failed step's
 * error, before anything is registered or sealed into the vault.
 */
export async function checkNewMachine(target: LoginCheckTarget, expectedHostKey: string | undefined): Promise<string> {
  const result = await checkMachineLogin(target, { expectedHostKey });
  if (!result.ok) {
    throw new RdcError(
      result.code,
      `${result.message}. Fix: ${result.fix}. Nothing was registered (\`--no-check\` registers it without this check).`,
    );
  }
  return result.hostKeyFingerprint;
}

export interface CheckOptions extends OutputOptions {
  name: string;
  team?: string;
  keysDir?: string;
}

export function registerMachineCheck(machine: Command): void {
  machine
    .command('check')
    .argument('<name>', 'machine name', schemaFlag(machineNameSchema))
    .option(
      '--team <team>',
      'team of the machine (may be omitted when the machine name is unique)',
      schemaFlag(teamNameSchema),
    )
    .option('--keys-dir <dir>', "directory of the teams' vault keys, TEAM.key (default: $RDC_HOME/keys)")
    .option('--json', 'machine-readable output (the result, also when the check fails; exit code 1 then)')
    .description(
      'test that bridges can log in to a machine: TCP connect, host key, authentication and a trivial command; says which step failed and how to fix it',
    )
    .action((name: string, options: Omit<CheckOptions, 'name'>) => runCommand(machineCheck, { ...options, name }));
}

/** Logs in to a registered machine; a failed step fails with its code and fix (with --json: the result, exit 1). */
export const machineCheck: Handler<CheckOptions> = async (options, client, config) => {
  const record = await client.machines.get(options.name, options.team);
  // Records from before the vault name a key file and need no team key.
  const teamKey =
    record.keyFile === undefined
      ? await readTeamKeyFile(
          join(resolve(options.keysDir ?? join(config.home, 'keys')), `${record.team}.key`),
          record.team,
        )
      : undefined;
  const key = await loadMachineKey(client.redis, record, teamKey);
  const result: LoginCheckResult = await checkMachineLogin(
    {
      label: `${record.team}/${record.name}`,
      host: record.host,
      port: record.port,
      user: record.user,
      privateKey: key.privateKey,
      keySource: key.source,
    },
    { expectedHostKey: record.hostKeyFingerprint },
  );
  if (options.json) return endWith(result.ok ? 0 : 1, json({ team: record.team, machine: record.name, ...result }));
  if (!result.ok) return failWith(new RdcError(result.code, `${result.message}. Fix: ${result.fix}.`));
  return done(
    line(
      `machine ${record.name} of team ${record.team}: login ok (connect, host key ${result.hostKeyFingerprint}, auth, command) in ${result.durationMs} ms`,
    ),
  );
};
