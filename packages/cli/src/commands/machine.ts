// rediacc machine add NAME … | machine set NAME --max-concurrent N|none | machine list | machine remove NAME
// | machine trust NAME (re-pin the host key) | machine rotate-key NAME | --all --team T | machine check NAME
import { join, resolve } from 'node:path';
import { probeHostKey, type RotateKeyResult, readTeamKeyFile, rotateMachineKey } from '@rediacc/bridge';
import {
  authorizedKeysFileSchema,
  hostKeyFingerprintSchema,
  MAX_CONCURRENT_LIMIT,
  machineInputSchema,
  machineNameSchema,
  RdcError,
  selectorSchema,
  type TagPair,
  tagPairSchema,
  teamNameSchema,
} from '@rediacc/core';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { integer, integerOrNone, repeatable, schemaFlag } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, failWith, json, line, note, type Printed } from '../result.js';
import { checkNewMachine, readMachineKeyFile, registerMachineCheck } from './machine-check.js';
import { type MachineListCommandOptions, machineList } from './machine-list.js';
import { registerMachineTags, tagsOf } from './machine-tags.js';

interface AddOptions extends OutputOptions {
  name: string;
  team: string;
  host: string;
  port: number;
  user: string;
  keyFile: string;
  hostKeyFingerprint?: string;
  acceptNewHostKey?: boolean;
  maxConcurrent?: number;
  authorizedKeysFile?: string;
  tag?: TagPair[];
  /** False with --no-check. */
  check: boolean;
}

interface SetOptions extends OutputOptions {
  name: string;
  team?: string;
  maxConcurrent: number | 'none';
}

interface TrustOptions extends OutputOptions {
  name: string;
  team?: string;
  hostKeyFingerprint?: string;
}

interface RotateOptions extends OutputOptions {
  name: string | undefined;
  team?: string;
  all?: boolean;
  keysDir?: string;
}

export function registerMachine(program: Command): void {
  const machine = program.command('machine').description('manage the machines tasks run on');
  machine
    .command('add')
    .argument('<name>', 'machine name, for example prod-01', schemaFlag(machineNameSchema))
    .requiredOption('--team <team>', 'team the machine belongs to', schemaFlag(teamNameSchema))
    .requiredOption('--host <host>', 'host name or IP address', schemaFlag(machineInputSchema.shape.host))
    .option('--port <port>', 'SSH port', integer(1, 65_535), 22)
    .option('--user <user>', 'SSH user', schemaFlag(machineInputSchema.shape.user.unwrap()), 'root')
    .requiredOption(
      '--key-file <path>',
      "private key the bridges log in with: read now and sealed into the team's vault (ssh-key/NAME)",
    )
    .option(
      '--host-key-fingerprint <fp>',
      'pinned host key, SHA256:… as `ssh-keygen -lf` prints it',
      schemaFlag(hostKeyFingerprintSchema),
    )
    .option('--accept-new-host-key', 'read the host key now and pin it (like OpenSSH accept-new)')
    .option(
      '--no-check',
      'register without first testing the login (TCP connect, host key, authentication, a trivial command)',
    )
    .option(
      '--max-concurrent <n>',
      'tasks it runs at once across the fleet (overrides bridges’ --max-per-machine)',
      integer(1, MAX_CONCURRENT_LIMIT),
    )
    .option(
      '--authorized-keys-file <path>',
      "the user's authorized_keys on the machine, for `machine rotate-key` (default .ssh/authorized_keys)",
      schemaFlag(authorizedKeysFileSchema),
    )
    .option(
      '--tag <key=value>',
      'a tag batches and pools select it by, for example role=web; repeatable',
      repeatable(tagPairSchema),
    )
    .option('--json', 'machine-readable output')
    .description(
      'register a machine, pinning its SSH host key, once a login with its key works (a failed check registers nothing)',
    )
    .action((name: string, options: Omit<AddOptions, 'name'>) => runCommand(machineAdd, { ...options, name }));
  machine
    .command('set')
    .argument('<name>', 'machine name', schemaFlag(machineNameSchema))
    .option(
      '--team <team>',
      'team of the machine (may be omitted when the machine name is unique)',
      schemaFlag(teamNameSchema),
    )
    .requiredOption(
      '--max-concurrent <n|none>',
      'tasks it runs at once across the fleet; none removes its own limit (bridges’ --max-per-machine applies)',
      integerOrNone(1, MAX_CONCURRENT_LIMIT),
    )
    .option('--json', 'machine-readable output')
    .description('change a registered machine')
    .action((name: string, options: Omit<SetOptions, 'name'>) => runCommand(machineSet, { ...options, name }));
  machine
    .command('list')
    .option('--team <team>', 'only this team', schemaFlag(teamNameSchema))
    .option(
      '--select <key=value,…>',
      'only machines carrying every tag, for example role=web,env=prod',
      schemaFlag(selectorSchema),
    )
    .option('--json', 'machine-readable output')
    .description('list machines: tasks running, load, memory, disk free (sampled by the bridges), last SSH error')
    .action((options: MachineListCommandOptions) => runCommand(machineList, options));
  machine
    .command('remove')
    .argument('<name>', 'machine name', schemaFlag(machineNameSchema))
    .requiredOption('--team <team>', 'team of the machine', schemaFlag(teamNameSchema))
    .option('--json', 'machine-readable output')
    .description('unregister a machine and delete its SSH key from the vault')
    .action((name: string, options: OutputOptions & { team: string }) =>
      runCommand(machineRemove, { ...options, name }),
    );
  machine
    .command('trust')
    .argument('<name>', 'machine name', schemaFlag(machineNameSchema))
    .option(
      '--team <team>',
      'team of the machine (may be omitted when the machine name is unique)',
      schemaFlag(teamNameSchema),
    )
    .option(
      '--host-key-fingerprint <fp>',
      'the new host key, SHA256:… (default: the key the machine presents now)',
      schemaFlag(hostKeyFingerprintSchema),
    )
    .option('--json', 'machine-readable output')
    .description("re-pin a machine's SSH host key after a deliberate change (reinstall, new host key)")
    .action((name: string, options: Omit<TrustOptions, 'name'>) => runCommand(machineTrust, { ...options, name }));
  machine
    .command('rotate-key')
    .argument('[name]', 'machine name (or --all --team T)', schemaFlag(machineNameSchema))
    .option(
      '--team <team>',
      'team of the machine (may be omitted when the machine name is unique)',
      schemaFlag(teamNameSchema),
    )
    .option('--all', 'rotate the keys of every machine of --team')
    .option('--keys-dir <dir>', "directory of the teams' vault keys, TEAM.key (default: $RDC_HOME/keys)")
    .option('--json', 'machine-readable output')
    .description(
      "replace a machine's SSH key: install a new ed25519 key, verify a login with it, store it in the vault, remove the old one (a failure keeps the old key)",
    )
    .action((name: string | undefined, options: Omit<RotateOptions, 'name'>) =>
      runCommand(machineRotateKey, { ...options, name }),
    );
  registerMachineCheck(machine);
  registerMachineTags(machine);
}

/** Checks the login (unless --no-check), then registers the machine with its key sealed in the team's vault. */
export const machineAdd: Handler<AddOptions> = async (options, client) => {
  const { name } = options;
  if (!options.hostKeyFingerprint && !options.acceptNewHostKey) {
    throw new RdcError('RDC_HOST_KEY_UNKNOWN', `machine ${name}: say which host key to trust`);
  }
  const key = await readMachineKeyFile(options.keyFile);
  const target = { host: options.host, port: options.port, user: options.user };
  const fingerprint = options.check
    ? await checkNewMachine(
        { ...target, label: `${options.team}/${name}`, privateKey: key.text, keySource: key.source },
        options.hostKeyFingerprint,
      )
    : (options.hostKeyFingerprint ?? (await probeHostKey(options.host, options.port)));
  const record = await client.machines.add({
    name,
    team: options.team,
    ...target,
    privateKey: key.text,
    hostKeyFingerprint: fingerprint,
    ...(options.maxConcurrent !== undefined && { maxConcurrent: options.maxConcurrent }),
    ...(options.authorizedKeysFile !== undefined && { authorizedKeysFile: options.authorizedKeysFile }),
    ...(tagsOf(options.tag) && { tags: tagsOf(options.tag) }),
  });
  if (options.json) return done(json(record));
  const login = options.check ? 'login checked' : 'login not checked (--no-check)';
  return done(line(`machine ${record.name} added to team ${record.team} (host key ${fingerprint}, ${login})`));
};

export const machineSet: Handler<SetOptions> = async (options, client) => {
  const maxConcurrent = options.maxConcurrent === 'none' ? null : options.maxConcurrent;
  const record = await client.machines.set(options.name, { maxConcurrent }, options.team);
  if (options.json) return done(json(record));
  return done(
    line(
      `machine ${record.name} of team ${record.team}: max concurrent ${record.maxConcurrent ?? 'none (bridge default)'}`,
    ),
  );
};

export const machineRemove: Handler<OutputOptions & { name: string; team: string }> = async (options, client) => {
  const { name, team } = options;
  const removed = await client.machines.remove(team, name);
  if (!removed) throw new RdcError('RDC_MACHINE_UNKNOWN', `machine "${name}" is not registered in team "${team}"`);
  return done(options.json ? json({ name, team, removed }) : line(`machine ${name} removed from team ${team}`));
};

/** Re-pins the host key: the one given, or the one the machine presents now. */
export const machineTrust: Handler<TrustOptions> = async (options, client) => {
  const current = await client.machines.get(options.name, options.team);
  const fingerprint = options.hostKeyFingerprint ?? (await probeHostKey(current.host, current.port));
  const record = await client.machines.trust(options.name, fingerprint, current.team);
  if (options.json) return done(json({ ...record, previousHostKeyFingerprint: current.hostKeyFingerprint }));
  const change =
    current.hostKeyFingerprint === fingerprint ? 'unchanged' : `re-pinned from ${current.hostKeyFingerprint}`;
  return done(line(`machine ${record.name} of team ${record.team}: host key ${change} to ${fingerprint}`));
};

/** Rotates one machine's key, or every machine's of a team; with --all a failure is reported and the rest go on. */
export const machineRotateKey: Handler<RotateOptions> = async (options, client, config) => {
  const { name } = options;
  if (options.all ? name !== undefined || options.team === undefined : name === undefined) {
    throw new RdcError('RDC_INVALID_INPUT', 'rotate-key takes a machine NAME, or --all with --team TEAM');
  }
  const machines = options.all
    ? await client.machines.list(options.team)
    : [await client.machines.get(name ?? '', options.team)];
  const keysDir = resolve(options.keysDir ?? join(config.home, 'keys'));
  const results: (RotateKeyResult | { team: string; machine: string; error: string; code: string })[] = [];
  const printed: Printed[] = [];
  let failure: RdcError | undefined;
  for (const m of machines) {
    const teamKey = await readTeamKeyFile(join(keysDir, `${m.team}.key`), m.team);
    try {
      const result = await rotateMachineKey({ redis: client.redis, team: m.team, machine: m.name, teamKey });
      results.push(result);
      printed.push(
        line(
          `machine ${m.name} of team ${m.team}: key rotated, ${result.oldKeyFingerprint} -> ${result.newKeyFingerprint}`,
        ),
      );
      if (result.warning) printed.push(note(`warning: ${result.warning}`));
    } catch (error) {
      if (!(error instanceof RdcError) || machines.length === 1) throw error;
      failure ??= error;
      results.push({ team: m.team, machine: m.name, code: error.code, error: error.message });
      printed.push(note(`machine ${m.name}: error ${error.code}: ${error.message}`));
    }
  }
  const shown = options.json ? [json(results)] : printed;
  return failure ? failWith(failure, ...shown) : done(...shown);
};
