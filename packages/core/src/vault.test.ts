import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { RdcError } from './errors.js';
import { generateTeamKeyPair, open, publicKeyOf, seal } from './vault.js';

const team = generateTeamKeyPair();
const other = generateTeamKeyPair();
const plaintext = JSON.stringify({ token: 'SENTINEL-vault-token-4711', db: { password: 'correct horse' } });

/** Runs `fn` and returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('generateTeamKeyPair', () => {
  it('makes base64 keys of NaCl box length, a fresh pair each time', () => {
    expect(Buffer.from(team.publicKey, 'base64')).toHaveLength(nacl.box.publicKeyLength);
    expect(Buffer.from(team.secretKey, 'base64')).toHaveLength(nacl.box.secretKeyLength);
    expect(other.publicKey).not.toBe(team.publicKey);
  });
});

describe('seal and open', () => {
  it('opens what was sealed to the team, with the team secret key', () => {
    expect(open(seal(plaintext, team.publicKey), team.secretKey)).toBe(plaintext);
  });

  it('property: any text, including empty and non-ASCII, survives a round trip', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(open(seal(text, team.publicKey), team.secretKey)).toBe(text);
      }),
      { numRuns: 50 },
    );
  });

  it('never puts the plaintext, or any part of it, in the sealed text', () => {
    const sealed = seal(plaintext, team.publicKey);
    const decoded = Buffer.from(sealed, 'base64').toString('latin1');
    expect(sealed).not.toContain('SENTINEL');
    expect(decoded).not.toContain('SENTINEL');
    expect(decoded).not.toContain('correct horse');
    expect(sealed).not.toContain(Buffer.from(plaintext).toString('base64').slice(0, 16));
  });

  it('seals the same text differently each time (fresh ephemeral key and nonce)', () => {
    expect(seal(plaintext, team.publicKey)).not.toBe(seal(plaintext, team.publicKey));
  });

  it("refuses to open with another team's secret key: RDC_KEY_FILE", () => {
    const error = thrown(() => open(seal(plaintext, team.publicKey), other.secretKey));
    expect(error).toBeInstanceOf(RdcError);
    expect((error as RdcError).code).toBe('RDC_KEY_FILE');
    expect((error as RdcError).message).not.toContain('SENTINEL');
  });

  it('refuses sealed text with any single byte changed', () => {
    const bytes = Buffer.from(seal(plaintext, team.publicKey), 'base64');
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (index, flip) => {
        const tampered = Buffer.from(bytes);
        tampered[index] = (tampered[index] ?? 0) ^ flip;
        const error = thrown(() => open(tampered.toString('base64'), team.secretKey));
        expect(error).toBeInstanceOf(RdcError);
        expect((error as RdcError).code).toBe('RDC_KEY_FILE');
      }),
      { numRuns: 50 },
    );
  });

  it('refuses sealed text too short to be a sealed box: RDC_JOB_DATA_INVALID', () => {
    const sealed = Buffer.from(seal('', team.publicKey), 'base64');
    const error = thrown(() => open(sealed.subarray(0, sealed.length - 1).toString('base64'), team.secretKey));
    expect((error as RdcError).code).toBe('RDC_JOB_DATA_INVALID');
    expect((thrown(() => open('', team.secretKey)) as RdcError).code).toBe('RDC_JOB_DATA_INVALID');
  });

  it('refuses a key of the wrong length, naming which key: RDC_KEY_FILE', () => {
    const shortKey = Buffer.alloc(16).toString('base64');
    const sealError = thrown(() => seal('x', shortKey)) as RdcError;
    expect(sealError.code).toBe('RDC_KEY_FILE');
    expect(sealError.message).toContain('team public key');
    const openError = thrown(() => open(seal('x', team.publicKey), 'not a key')) as RdcError;
    expect(openError.code).toBe('RDC_KEY_FILE');
    expect(openError.message).toContain('team secret key');
  });
});

/** A sealed box as seal() lays it out: the sender's public key, the nonce, the box. */
function sealedOf(senderPublicKey: Uint8Array, nonce: Uint8Array, box: Uint8Array): string {
  return Buffer.concat([senderPublicKey, nonce, box]).toString('base64');
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('open, against tweetnacl (it computes the shared key with OpenSSL)', () => {
  it('property: opens exactly what tweetnacl opens, and refuses what it refuses', () => {
    fc.assert(
      fc.property(
        key32,
        key32,
        fc.uint8Array({ maxLength: 300 }),
        fc.boolean(),
        (secret, senderSecret, text, tamper) => {
          const recipient = nacl.box.keyPair.fromSecretKey(secret);
          const sender = nacl.box.keyPair.fromSecretKey(senderSecret);
          const nonce = nacl.randomBytes(nacl.box.nonceLength);
          const box = nacl.box(text, nonce, recipient.publicKey, sender.secretKey);
          if (tamper) box[box.length - 1] = (box[box.length - 1] ?? 0) ^ 1;
          const expected = nacl.box.open(box, nonce, sender.publicKey, secret);
          const sealed = sealedOf(sender.publicKey, nonce, box);
          if (expected) expect(open(sealed, b64(secret))).toBe(new TextDecoder().decode(expected));
          else expect((thrown(() => open(sealed, b64(secret))) as RdcError).code).toBe('RDC_KEY_FILE');
        },
      ),
      { numRuns: 25 },
    );
  });

  it('opens a box from a low-order sender key as tweetnacl does (OpenSSL refuses that key)', () => {
    const lowOrder = new Uint8Array(32);
    const nonce = nacl.randomBytes(nacl.box.nonceLength);
    const box = nacl.box.after(new TextEncoder().encode('low'), nonce, nacl.box.before(lowOrder, nacl.randomBytes(32)));
    expect(nacl.box.open(box, nonce, lowOrder, Buffer.from(team.secretKey, 'base64'))).not.toBeNull();
    expect(open(sealedOf(lowOrder, nonce, box), team.secretKey)).toBe('low');
  });

  it("publicKeyOf gives tweetnacl's public key", () => {
    fc.assert(
      fc.property(key32, (secret) => {
        expect(publicKeyOf(b64(secret))).toBe(b64(nacl.box.keyPair.fromSecretKey(secret).publicKey));
      }),
      { numRuns: 20 },
    );
    expect(publicKeyOf(` ${team.secretKey}\n`)).toBe(team.publicKey);
  });
});
