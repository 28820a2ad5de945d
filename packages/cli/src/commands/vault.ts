// rediacc vault set --team T NAME (--from-file F | --stdin) | vault list --team T | vault delete --team T NAME
// Values never come from argv (the process list and shell history would show them): a file or stdin. They are
// sealed to the team's public key before they leave this process.
import { readFile } from 'node:fs/promises';
import { MAX_SECRET_BYTES, RdcError, secretNameSchema, teamNameSchema, vaultEntryNameSchema } from '@rediacc/core';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { schemaFlag } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, json, line, table } from '../result.js';

interface SetOptions extends OutputOptions {
  name: string;
  team: string;
  fromFile?: string;
  stdin?: boolean;
}

export function registerVault(program: Command): void {
  const vault = program.command('vault').description("manage a team's secrets (sealed to the team key)");
  vault
    .command('set')
    .argument('<name>', 'secret name, an environment variable name such as API_TOKEN', schemaFlag(secretNameSchema))
    .requiredOption('--team <team>', 'team whose vault holds it', schemaFlag(teamNameSchema))
    .option('--from-file <path>', 'read the value from this file (one trailing newline is dropped)')
    .option('--stdin', 'read the value from stdin (one trailing newline is dropped)')
    .option('--json', 'machine-readable output')
    .description('store or replace a secret; tasks get it with `create task --secret NAME`')
    .action((name: string, options: Omit<SetOptions, 'name'>) => runCommand(vaultSet, { ...options, name }));
  vault
    .command('list')
    .requiredOption('--team <team>', 'team whose vault to list', schemaFlag(teamNameSchema))
    .option('--json', 'machine-readable output')
    .description("list a team's vault entries: names and kinds, never values")
    .action((options: OutputOptions & { team: string }) => runCommand(vaultList, options));
  vault
    .command('delete')
    .argument('<name>', 'secret name', schemaFlag(vaultEntryNameSchema))
    .requiredOption('--team <team>', 'team whose vault holds it', schemaFlag(teamNameSchema))
    .option('--json', 'machine-readable output')
    .description('remove a secret; tasks that still ask for it fail with RDC_VAULT_UNKNOWN')
    .action((name: string, options: OutputOptions & { team: string }) => runCommand(vaultDelete, { ...options, name }));
}

export const vaultSet: Handler<SetOptions> = async (options, client) => {
  const value = await readValue(options);
  const entry = await client.vault.set(options.team, options.name, value);
  return done(
    options.json
      ? json({ team: options.team, ...entry })
      : line(`secret ${options.name} stored in the vault of team ${options.team}`),
  );
};

export const vaultList: Handler<OutputOptions & { team: string }> = async (options, client) => {
  const entries = await client.vault.list(options.team);
  const rows = entries.map((e) => ({ ...e, updatedAt: new Date(e.updatedAt).toISOString() }));
  return done(options.json ? json(rows) : table(rows, ['name', 'kind', 'updatedAt']));
};

export const vaultDelete: Handler<OutputOptions & { team: string; name: string }> = async (options, client) => {
  await client.vault.delete(options.team, options.name);
  return done(
    options.json
      ? json({ team: options.team, name: options.name, deleted: true })
      : line(`secret ${options.name} deleted from the vault of team ${options.team}`),
  );
};

/** The value from --from-file or --stdin: UTF-8 text, one trailing newline dropped. */
async function readValue(options: SetOptions): Promise<string> {
  if ((options.fromFile === undefined) === (options.stdin !== true)) {
    throw new RdcError(
      'RDC_INVALID_INPUT',
      'vault set takes the value from exactly one of --from-file PATH or --stdin',
    );
  }
  const where = options.fromFile === undefined ? 'stdin' : `--from-file ${options.fromFile}`;
  let bytes: Buffer;
  try {
    bytes = options.fromFile === undefined ? await readStdin() : await readFile(options.fromFile);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RdcError('RDC_INVALID_INPUT', `cannot read ${where}: ${code ?? String(error)}`, { cause: error });
  }
  if (bytes.length > MAX_SECRET_BYTES + 2) {
    throw new RdcError('RDC_INVALID_INPUT', `${where}: a secret value must be at most ${MAX_SECRET_BYTES} bytes`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RdcError('RDC_INVALID_INPUT', `${where} is not UTF-8 text; store binary values base64-encoded`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.length === 0) throw new RdcError('RDC_INVALID_INPUT', `${where} is empty: a secret value must not be`);
  if (value.includes('\0'))
    throw new RdcError('RDC_INVALID_INPUT', `${where} holds NUL bytes, which no environment value can`);
  return value;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > MAX_SECRET_BYTES + 2) break;
  }
  return Buffer.concat(chunks);
}
