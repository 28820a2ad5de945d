// Sealed boxes (NaCl box with an ephemeral sender key): producers seal to a team's public key,
// only holders of the team's secret key (its bridges) can open. Redis only ever sees ciphertext.
import nacl from 'tweetnacl';
import { RdcError } from './errors.js';

export interface TeamKeyPair {
  publicKey: string; // base64
  secretKey: string; // base64
}

export function generateTeamKeyPair(): TeamKeyPair {
  const pair = nacl.box.keyPair();
  return { publicKey: b64(pair.publicKey), secretKey: b64(pair.secretKey) };
}

/** The public half of a team's secret key: what the registry holds, to check a bridge's key file against. */
export function publicKeyOf(secretKeyB64: string): string {
  const secretKey = fromB64(secretKeyB64.trim(), nacl.box.secretKeyLength, 'team secret key');
  return b64(nacl.box.keyPair.fromSecretKey(secretKey).publicKey);
}

export function seal(plaintext: string, publicKeyB64: string): string {
  const recipient = fromB64(publicKeyB64, nacl.box.publicKeyLength, 'team public key');
  const ephemeral = nacl.box.keyPair();
  const nonce = nacl.randomBytes(nacl.box.nonceLength);
  const box = nacl.box(new TextEncoder().encode(plaintext), nonce, recipient, ephemeral.secretKey);
  const out = new Uint8Array(ephemeral.publicKey.length + nonce.length + box.length);
  out.set(ephemeral.publicKey, 0);
  out.set(nonce, ephemeral.publicKey.length);
  out.set(box, ephemeral.publicKey.length + nonce.length);
  return b64(out);
}

export function open(sealed: string, secretKeyB64: string): string {
  const secretKey = fromB64(secretKeyB64, nacl.box.secretKeyLength, 'team secret key');
  const bytes = Buffer.from(sealed, 'base64');
  const pkLen = nacl.box.publicKeyLength;
  const nonceLen = nacl.box.nonceLength;
  if (bytes.length < pkLen + nonceLen + nacl.box.overheadLength) {
    throw new RdcError('RDC_JOB_DATA_INVALID', 'sealed vault data is too short to be a sealed box');
  }
  const opened = nacl.box.open(
    bytes.subarray(pkLen + nonceLen),
    bytes.subarray(pkLen, pkLen + nonceLen),
    bytes.subarray(0, pkLen),
    secretKey,
  );
  if (!opened) {
    throw new RdcError('RDC_KEY_FILE', "sealed vault data does not open with this team's secret key");
  }
  return new TextDecoder().decode(opened);
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function fromB64(value: string, length: number, what: string): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(value, 'base64'));
  if (bytes.length !== length) throw new RdcError('RDC_KEY_FILE', `${what} must be ${length} bytes, base64-encoded`);
  return bytes;
}
