// rediacc machine add NAME … | machine list
import { resolve } from 'node:path';
import { probeHostKey } from '@rediacc/bridge';
import { RdcError } from '@rediacc/core';
import type { Command } from 'commander';
import { withClient } from '../context.js';
import { integer } from '../options.js';
import { type OutputOptions, printJson, printTable } from '../output.js';

interface AddOptions extends OutputOptions {
  team: string;
  host: string;
  port: number;
  user: string;
  keyFile: string;
  hostKeyFingerprint?: string;
  acceptNewHostKey?: boolean;
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
        });
        if (options.json) printJson(record);
        else process.stdout.write(`machine ${record.name} added to team ${record.team} (host key ${fingerprint})\n`);
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
            'hostKeyFingerprint',
          ]);
      }),
    );
}
