// Sealed boxes (NaCl box with an ephemeral sender key): producers seal to a team's public key,
// only holders of the team's secret key (its bridges) can open. Redis only ever sees ciphertext.
// Opening computes the box's shared key with OpenSSL's X25519 (node:crypto) rather than tweetnacl's: tweetnacl's is
// JavaScript, about 5 ms of a loaded core per key, which a cold bridge paid for every machine's SSH key in turn
// before connecting to it (ten machines: 50 ms); OpenSSL's takes 0.05 ms. The box itself is tweetnacl's, as sealed.
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
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
  const trimmed = secretKeyB64.trim();
  const secretKey = fromB64(trimmed, nacl.box.secretKeyLength, 'team secret key');
  const native = secretKeyObject(trimmed, secretKey);
  const x = native && createPublicKey(native).export({ format: 'jwk' }).x;
  return x ? Buffer.from(x, 'base64url').toString('base64') : b64(nacl.box.keyPair.fromSecretKey(secretKey).publicKey);
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
  const shared = sharedKey(bytes.subarray(0, pkLen), secretKey, secretKeyB64);
  const opened = nacl.box.open.after(bytes.subarray(pkLen + nonceLen), bytes.subarray(pkLen, pkLen + nonceLen), shared);
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

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');
const SIGMA = new TextEncoder().encode('expand 32-byte k');
const { crypto_core_hsalsa20: hsalsa20 } = (
  nacl as unknown as {
    lowlevel: { crypto_core_hsalsa20(out: Uint8Array, n: Uint8Array, k: Uint8Array, c: Uint8Array): void };
  }
).lowlevel;

/** Team secret keys as OpenSSL key objects (parsing one costs a few ms), by their base64; a process holds few. */
const keyObjects = new Map<string, KeyObject | null>();
const KEY_OBJECTS_MAX = 64;

/** The secret key as an OpenSSL X25519 key; null where OpenSSL has none (tweetnacl's then). */
function secretKeyObject(secretKeyB64: string, secretKey: Uint8Array): KeyObject | null {
  let key = keyObjects.get(secretKeyB64);
  if (key === undefined) {
    try {
      key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, secretKey]), format: 'der', type: 'pkcs8' });
    } catch {
      key = null;
    }
    if (keyObjects.size >= KEY_OBJECTS_MAX) keyObjects.clear();
    keyObjects.set(secretKeyB64, key);
  }
  return key;
}

/**
 * NaCl's box.before: HSalsa20 of the X25519 shared secret. OpenSSL refuses a low-order public key (an all-zero
 * secret); tweetnacl computes it, so a box opens exactly as tweetnacl opens it.
 */
function sharedKey(publicKey: Uint8Array, secretKey: Uint8Array, secretKeyB64: string): Uint8Array {
  const native = secretKeyObject(secretKeyB64, secretKey);
  let secret: Uint8Array;
  try {
    if (!native) throw new Error('no OpenSSL X25519');
    const peer = createPublicKey({ key: Buffer.concat([SPKI_X25519, publicKey]), format: 'der', type: 'spki' });
    secret = diffieHellman({ privateKey: native, publicKey: peer });
  } catch {
    return nacl.box.before(publicKey, secretKey);
  }
  const key = new Uint8Array(32);
  hsalsa20(key, new Uint8Array(16), secret, SIGMA);
  return key;
}
