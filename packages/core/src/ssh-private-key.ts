// Checks an SSH private key before it is sealed into the vault, without an SSH library (producers never load
// one): the PEM armour, no passphrase (bridges could not use it), and for OpenSSH keys the public key blob, whose
// fingerprint (as `ssh-keygen -lf` prints it) is recorded with the machine.
import { createHash } from 'node:crypto';
import { RdcError } from './errors.js';

export const MAX_PRIVATE_KEY_BYTES = 16 * 1024;

export interface PrivateKeyInfo {
  type: 'openssh' | 'pem';
  /** SHA256:… of the public key (OpenSSH keys only). */
  fingerprint?: string;
}

const ARMOUR = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]+?)\r?\n-----END \1-----\s*$/;
const PEM_TYPES = new Set(['RSA PRIVATE KEY', 'EC PRIVATE KEY', 'PRIVATE KEY', 'DSA PRIVATE KEY']);

/** Validates `text` as an unencrypted private key; `what` names it in errors (a file path, "privateKey"). */
export function checkPrivateKey(text: string, what: string): PrivateKeyInfo {
  const bad = (why: string) => new RdcError('RDC_KEY_FILE', `${what} is not a usable SSH private key: ${why}`);
  if (Buffer.byteLength(text) > MAX_PRIVATE_KEY_BYTES) throw bad(`larger than ${MAX_PRIVATE_KEY_BYTES} bytes`);
  const match = ARMOUR.exec(text.trim());
  if (!match?.[1] || !match[2]) throw bad('no -----BEGIN … PRIVATE KEY----- block');
  const [, label, body] = match;
  if (label === 'OPENSSH PRIVATE KEY') return { type: 'openssh', fingerprint: openSshFingerprint(body, bad) };
  if (label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(body)) {
    throw bad('it is protected by a passphrase; bridges need a key without one');
  }
  if (!PEM_TYPES.has(label)) throw bad(`a "${label}" block is not a private key`);
  return { type: 'pem' };
}

/** OpenSSH's format: "openssh-key-v1\0", cipher, kdf, kdf options, key count, then the first public key blob. */
function openSshFingerprint(body: string, bad: (why: string) => RdcError): string {
  const b64 = body.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw bad('the key block is not base64');
  const bytes = Buffer.from(b64, 'base64');
  const magic = 'openssh-key-v1\0';
  if (bytes.subarray(0, magic.length).toString('latin1') !== magic) throw bad('not an openssh-key-v1 key');
  let at = magic.length;
  const field = (): Buffer => {
    if (at + 4 > bytes.length) throw bad('the key is cut short');
    const length = bytes.readUInt32BE(at);
    if (at + 4 + length > bytes.length) throw bad('the key is cut short');
    const value = bytes.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    return value;
  };
  const cipher = field().toString('latin1');
  field(); // kdf name
  field(); // kdf options
  if (cipher !== 'none') throw bad('it is protected by a passphrase; bridges need a key without one');
  if (at + 4 > bytes.length || bytes.readUInt32BE(at) !== 1) throw bad('it must hold exactly one key');
  at += 4;
  const publicBlob = field();
  return `SHA256:${createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '')}`;
}
