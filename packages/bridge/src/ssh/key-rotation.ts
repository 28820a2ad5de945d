// Rotates a machine's SSH key without ever leaving it unreachable:
//   1. generate a new ed25519 key pair (in memory)
//   2. over a connection made with the current key, append the new public key to authorized_keys (idempotent)
//   3. verify that a fresh connection with the new key logs in (`verifyLogin`, replaceable: the test breaks it)
//   4. only then store the new private key (sealed) and the record in one Redis step, and
//   5. remove the old key's line from authorized_keys.
// Any failure before 4 removes the half-installed new key again and leaves the old key and the vault as they were.
import { createHash } from 'node:crypto';
import { isRdcError, type MachineRecord, publicKeyOf, RdcError, seal } from '@rediacc/core';
import { appendAudit, getMachine, getTeam, isAccessRefusal, replaceMachineKey, resolveActor } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import ssh2, { type ParsedKey } from 'ssh2';
import { type ConnectionOptions, SshConnection, type SshTarget } from './connection.js';
import { loadMachineKey } from './machine-keys.js';
import { shellWord } from './shell-word.js';

export interface RotateKeyOptions {
  redis: Redis;
  team: string;
  machine: string;
  /** The team's vault secret key (base64): opens the current key, checked against the team's public key. */
  teamKey: string;
  /** Who the audit log names (default: RDC_ACTOR, else the Redis ACL user). */
  actor?: string | undefined;
  connection?: Partial<ConnectionOptions>;
  /**
   * Step 3: resolves when `target` (the machine with the new key) lets us in, throws otherwise. Default: a fresh
   * SSH connection that runs `true`. Replace it to add checks, or (in tests) to make verification fail.
   */
  verifyLogin?: (target: SshTarget, options: ConnectionOptions) => Promise<void>;
}

export interface RotateKeyResult {
  team: string;
  machine: string;
  oldKeyFingerprint: string;
  newKeyFingerprint: string;
  /** False when the new key is in place but the old line could not be removed from authorized_keys (say why). */
  oldKeyRemoved: boolean;
  warning?: string;
}

// ssh2 is CommonJS and Node's ESM loader cannot see `utils` as a named export.
const { utils } = ssh2;

const DEFAULTS: ConnectionOptions = { connectTimeoutMs: 10_000, keepaliveIntervalMs: 0, keepaliveCountMax: 3 };

/** Rotates the key (below) and records the outcome, success or failure, in the team's audit log. */
export async function rotateMachineKey(options: RotateKeyOptions): Promise<RotateKeyResult> {
  const entry = { team: options.team, action: 'key.rotate', target: options.machine } as const;
  const record = async (outcome: 'ok' | 'failed' | 'denied', detail: Record<string, string | boolean | null>) =>
    appendAudit(options.redis, {
      ...entry,
      actor: await resolveActor(options.redis, options.actor ?? (process.env.RDC_ACTOR || undefined)),
      outcome,
      detail,
    });
  let result: RotateKeyResult;
  try {
    result = await rotate(options);
  } catch (error) {
    const outcome = isAccessRefusal(error) ? 'denied' : 'failed';
    await record(outcome, { code: isRdcError(error) ? error.code : null }).catch(() => {});
    throw error;
  }
  await record('ok', {
    oldKeyFingerprint: result.oldKeyFingerprint,
    newKeyFingerprint: result.newKeyFingerprint,
    oldKeyRemoved: result.oldKeyRemoved,
  });
  return result;
}

async function rotate(options: RotateKeyOptions): Promise<RotateKeyResult> {
  const { redis, team, teamKey } = options;
  const connect = { ...DEFAULTS, ...options.connection };
  const record = await getMachine(redis, team, options.machine);
  const teamRecord = await getTeam(redis, team);
  if (!teamRecord.publicKey || publicKeyOf(teamKey) !== teamRecord.publicKey) {
    throw new RdcError('RDC_TEAM_KEY', `the vault key given for team "${team}" does not match the team's public key`);
  }
  const label = `${team}/${record.name}`;
  const current = await loadMachineKey(redis, record, teamKey);
  const oldKey = parsedKey(current.privateKey, `the current key of ${label} (${current.source})`);
  const oldBlob = oldKey.getPublicSSH().toString('base64');
  const fresh = utils.generateKeyPairSync('ed25519', { comment: `rediacc-${team}-${record.name}` });
  const newLine = fresh.public.trim();
  const newBlob = newLine.split(/\s+/)[1] ?? '';
  const target = (privateKey: string | Buffer, keySource: string): SshTarget => ({
    label,
    host: record.host,
    port: record.port,
    user: record.user,
    privateKey,
    keySource,
    hostKeyFingerprint: record.hostKeyFingerprint,
  });
  const file = record.authorizedKeysFile ?? '.ssh/authorized_keys';
  const failed = (step: string, error: unknown) =>
    new RdcError(
      'RDC_KEY_ROTATION',
      `rotating the key of ${label} failed at ${step}: ${error instanceof Error ? error.message : String(error)}; the old key still logs in and the vault is unchanged`,
      { cause: error },
    );

  const connection = await SshConnection.open(target(current.privateKey, current.source), connect);
  try {
    await runScript(connection, installScript(file, newLine)).catch((error: unknown) => {
      throw failed(`installing the new public key in ${file}`, error);
    });
    try {
      await (options.verifyLogin ?? verifyByLogin)(target(fresh.private, 'the new key'), connect);
    } catch (error) {
      await runScript(connection, removeScript(file, newBlob)).catch(() => {});
      throw failed('logging in with the new key (it was removed from authorized_keys again)', error);
    }
    const { keyFile: _, ...rest } = record;
    const next: MachineRecord = { ...rest, keyFingerprint: fingerprintOfBlob(newBlob) };
    let stored: boolean;
    try {
      stored = await replaceMachineKey(redis, record, next, {
        kind: 'ssh-key',
        sealed: seal(fresh.private, teamRecord.publicKey),
        updatedAt: Date.now(),
      });
    } catch (error) {
      await runScript(connection, removeScript(file, newBlob)).catch(() => {});
      throw failed('storing the new key in the vault', error);
    }
    if (!stored) {
      await runScript(connection, removeScript(file, newBlob)).catch(() => {});
      throw failed('storing the new key', new Error('the machine record changed meanwhile; run rotate-key again'));
    }
    const result: RotateKeyResult = {
      team,
      machine: record.name,
      oldKeyFingerprint: fingerprintOfBlob(oldBlob),
      newKeyFingerprint: next.keyFingerprint ?? '',
      oldKeyRemoved: true,
    };
    if (oldBlob === newBlob) return result;
    try {
      await runScript(connection, removeScript(file, oldBlob));
    } catch (error) {
      result.oldKeyRemoved = false;
      result.warning = `the new key is in use, but the old key could not be removed from ${file}: ${(error as Error).message}; remove it by hand`;
    }
    return result;
  } finally {
    connection.close();
  }
}

async function verifyByLogin(target: SshTarget, options: ConnectionOptions): Promise<void> {
  const connection = await SshConnection.open(target, options);
  try {
    await runScript(connection, 'true');
  } finally {
    connection.close();
  }
}

function parsedKey(key: string | Buffer, what: string): ParsedKey {
  const parsed = utils.parseKey(key);
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!first || first instanceof Error) {
    throw new RdcError('RDC_KEY_FILE', `${what} cannot be parsed: ${first instanceof Error ? first.message : 'empty'}`);
  }
  return first;
}

function fingerprintOfBlob(blobB64: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(blobB64, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

/** The authorized_keys path in the login shell: relative paths (and ~/) are under $HOME. */
function resolveFile(file: string): string {
  const relative = file.startsWith('~/') ? file.slice(2) : file;
  return relative.startsWith('/') ? `f=${shellWord(relative)}` : `f="$HOME"/${shellWord(relative)}`;
}

/** Appends `line` unless it is there already; a last line without a newline gets one first. */
function installScript(file: string, line: string): string {
  const l = shellWord(line);
  return [
    'set -e',
    resolveFile(file),
    'umask 077',
    'mkdir -p "$(dirname "$f")"',
    `if [ -f "$f" ] && grep -qxF -- ${l} "$f"; then exit 0; fi`,
    'if [ -s "$f" ] && [ -n "$(tail -c 1 "$f")" ]; then echo >>"$f"; fi',
    `printf '%s\\n' ${l} >>"$f"`,
  ].join('\n');
}

/** Removes every line holding key blob `blob`, rewriting the file in place (its owner and mode stay). */
function removeScript(file: string, blob: string): string {
  return [
    'set -e',
    resolveFile(file),
    '[ -f "$f" ] || exit 0',
    't=$(mktemp "$f.XXXXXX")',
    `grep -vF -- ${shellWord(blob)} "$f" >"$t" || [ $? -eq 1 ]`,
    'cat "$t" >"$f"',
    'rm -f "$t"',
  ].join('\n');
}

/** Runs `script` under sh over the connection; rejects with its stderr when it exits non-zero. */
function runScript(connection: SshConnection, script: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let stderr = '';
    connection
      .exec(`sh -c ${shellWord(script)}`, (channel) => {
        channel.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        channel.on('data', () => {});
        channel.on('exit', (code: number | null) => {
          if (code === 0) resolve();
          else reject(new Error(`exit ${code}${stderr.trim() ? `: ${stderr.trim().slice(0, 500)}` : ''}`));
        });
        channel.on('close', () => reject(new Error('the channel closed without an exit status')));
        return channel;
      })
      .catch(reject);
  });
}
