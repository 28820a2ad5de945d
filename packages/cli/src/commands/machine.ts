// rediacc machine add NAME … | machine set NAME --max-concurrent N|none | machine list
import { resolve } from 'node:path';
import { probeHostKey } from '@rediacc/bridge';
import { MAX_CONCURRENT_LIMIT, RdcError } from '@rediacc/core';
import type { Command } from 'commander';
import { withClient } from '../context.js';
import { integer, integerOrNone } from '../options.js';
import { type OutputOptions, printJson, printTable } from '../output.js';

interface AddOptions extends OutputOptions {
  team: string;
  host: string;
  port: number;
  user: string;
  keyFile: string;
  hostKeyFingerprint?: string;
  acceptNewHostKey?: boolean;
  maxConcurrent?: number;
}

interface SetOptions extends OutputOptions {
  team?: string;
  maxConcurrent: number | 'none';
}

export function registerMachine(program: Command): void {
  const machine = program.command('machine').description('manage the machines tasks run on');
  machine
    .command('add')
    .argument('<name>', 'machine name, for example prod-01')
    .requiredOption('--team <team>', 'team the machine belongs to')
    .requiredOption('--host <host>', 'host name or IP address')
    .option('--port <port>', 'SSH port', integer(1, 65_535), 22)
    .option('--user <user>', 'SSH user', 'root')
    .requiredOption('--key-file <path>', 'private key file the bridges log in with')
    .option('--host-key-fingerprint <fp>', 'pinned host key, SHA256:… as `ssh-keygen -lf` prints it')
    .option('--accept-new-host-key', 'read the host key now and pin it (like OpenSSH accept-new)')
    .option(
      '--max-concurrent <n>',
      'tasks it runs at once across the fleet (overrides bridges’ --max-per-machine)',
      integer(1, MAX_CONCURRENT_LIMIT),
    )
    .option('--json', 'machine-readable output')
    .description('register a machine, pinning its SSH host key')
    .action((name: string, options: AddOptions) =>
      withClient(async (client) => {
        if (!options.hostKeyFingerprint && !options.acceptNewHostKey) {
          throw new RdcError('RDC_HOST_KEY_UNKNOWN', `machine ${name}: say which host key to trust`);
        }
        const fingerprint = options.hostKeyFingerprint ?? (await probeHostKey(options.host, options.port));
        const record = await client.machines.add({
          name,
          team: options.team,
          host: options.host,
          port: options.port,
          user: options.user,
          keyFile: resolve(options.keyFile),
          hostKeyFingerprint: fingerprint,
          ...(options.maxConcurrent !== undefined && { maxConcurrent: options.maxConcurrent }),
        });
        if (options.json) printJson(record);
        else process.stdout.write(`machine ${record.name} added to team ${record.team} (host key ${fingerprint})\n`);
      }),
    );
  machine
    .command('set')
    .argument('<name>', 'machine name')
    .option('--team <team>', 'team of the machine (may be omitted when the machine name is unique)')
    .requiredOption(
      '--max-concurrent <n|none>',
      'tasks it runs at once across the fleet; none removes its own limit (bridges’ --max-per-machine applies)',
      integerOrNone(1, MAX_CONCURRENT_LIMIT),
    )
    .option('--json', 'machine-readable output')
    .description('change a registered machine')
    .action((name: string, options: SetOptions) =>
      withClient(async (client) => {
        const maxConcurrent = options.maxConcurrent === 'none' ? null : options.maxConcurrent;
        const record = await client.machines.set(name, { maxConcurrent }, options.team);
        if (options.json) printJson(record);
        else
          process.stdout.write(
            `machine ${record.name} of team ${record.team}: max concurrent ${record.maxConcurrent ?? 'none (bridge default)'}\n`,
          );
      }),
    );
  machine
    .command('list')
    .option('--team <team>', 'only this team')
    .option('--json', 'machine-readable output')
    .description('list machines')
    .action((options: OutputOptions & { team?: string }) =>
      withClient(async (client) => {
        const machines = await client.machines.list(options.team);
        if (options.json) printJson(machines);
        else
          printTable(machines as unknown as Record<string, unknown>[], [
            'name',
            'team',
            'user',
            'host',
            'port',
            'maxConcurrent',
            'hostKeyFingerprint',
          ]);
      }),
    );
}
