// SSH key pairs made by the system's ssh-keygen (so they are exactly what OpenSSH expects), and the
// OpenSSH-style fingerprint of a public key, which is what machines are pinned by.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { RdcError } from '@rediacc/core';
import { findProgram, SSH_KEYGEN } from './binaries.js';
import { LocalProcessError } from './local-process-error.js';

export interface KeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
  /** One authorized_keys line: 'ssh-ed25519 AAAA… rediacc'. */
  publicKey: string;
}

/** Generates a fresh ed25519 key pair DIR/NAME and DIR/NAME.pub (no passphrase), replacing any old one. */
export async function generateKeyPair(dir: string, name: string): Promise<KeyPair> {
  const pair = keyPairPaths(dir, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // ssh-keygen asks before overwriting, and nobody is there to answer.
  await rm(pair.privateKeyPath, { force: true });
  await rm(pair.publicKeyPath, { force: true });
  const keygen = await findProgram(SSH_KEYGEN);
  await new Promise<void>((resolve, reject) => {
    const args = ['-t', 'ed25519', '-N', '', '-q', '-C', 'rediacc', '-f', pair.privateKeyPath];
    execFile(keygen, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) reject(new LocalProcessError('ssh-keygen', `failed for ${pair.privateKeyPath}`, stderr || stdout));
      else resolve();
    });
  });
  await chmod(pair.privateKeyPath, 0o600);
  return { ...pair, publicKey: await readPublicKey(pair.publicKeyPath) };
}

/** The key pair DIR/NAME if both files exist (so a host key survives restarts of `rediacc up`), else a new one. */
export async function loadOrGenerateKeyPair(dir: string, name: string): Promise<KeyPair> {
  const pair = keyPairPaths(dir, name);
  try {
    await access(pair.privateKeyPath);
    return { ...pair, publicKey: await readPublicKey(pair.publicKeyPath) };
  } catch {
    return generateKeyPair(dir, name);
  }
}

/** 'SHA256:' + unpadded base64 of the SHA-256 of the key blob, as `ssh-keygen -l` and OpenSSH print it. */
export function hostKeyFingerprint(publicKeyLine: string): string {
  const blob = publicKeyLine.trim().split(/\s+/)[1];
  const decoded = blob && /^[A-Za-z0-9+/]+={0,2}$/.test(blob) ? Buffer.from(blob, 'base64') : undefined;
  if (!decoded || decoded.length < 8) {
    throw new RdcError(
      'RDC_INVALID_INPUT',
      `not an OpenSSH public key line: ${JSON.stringify(publicKeyLine.slice(0, 60))} (expected 'TYPE BASE64 [comment]')`,
    );
  }
  return `SHA256:${createHash('sha256').update(decoded).digest('base64').replace(/=+$/, '')}`;
}

function keyPairPaths(dir: string, name: string): Omit<KeyPair, 'publicKey'> {
  if (!name || basename(name) !== name) {
    throw new RdcError('RDC_INVALID_INPUT', `key name must be a plain file name, got ${JSON.stringify(name)}`);
  }
  const privateKeyPath = join(dir, name);
  return { privateKeyPath, publicKeyPath: `${privateKeyPath}.pub` };
}

async function readPublicKey(path: string): Promise<string> {
  return (await readFile(path, 'utf8')).trim();
}
