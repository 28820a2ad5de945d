import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RdcError } from './errors.js';
import { checkPrivateKey } from './ssh-private-key.js';

function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An unencrypted OpenSSH ed25519 private key, built the way ssh-keygen lays it out. */
function opensshKey(cipher = 'none'): { text: string; fingerprint: string } {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(raw)]);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString(cipher),
    sshString(cipher === 'none' ? 'none' : 'bcrypt'),
    sshString(''),
    count,
    sshString(blob),
    sshString(Buffer.alloc(64)),
  ]).toString('base64');
  const lines = body.match(/.{1,70}/g) ?? [];
  return {
    text: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
    fingerprint: `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`,
  };
}

describe('checkPrivateKey', () => {
  it('reads the public key fingerprint of an OpenSSH key', () => {
    const key = opensshKey();
    expect(checkPrivateKey(key.text, 'key')).toEqual({ type: 'openssh', fingerprint: key.fingerprint });
  });

  it('accepts PEM keys and refuses passphrase-protected ones', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'sec1' });
    expect(checkPrivateKey(String(pem), 'key')).toEqual({ type: 'pem' });
    expect(() => checkPrivateKey(opensshKey('aes256-ctr').text, 'key')).toThrow(/passphrase/);
  });

  it('answers any input with a result or an RDC_KEY_FILE naming it (as docs/errors.md says), never another error', () => {
    const key = opensshKey().text;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.nat(key.length).map((n) => key.slice(0, n)),
          fc
            .tuple(fc.nat(key.length - 1), fc.string({ minLength: 1, maxLength: 3 }))
            .map(([at, junk]) => key.slice(0, at) + junk + key.slice(at + 1)),
        ),
        (text) => {
          try {
            checkPrivateKey(text, 'the key');
          } catch (error) {
            expect(error).toBeInstanceOf(RdcError);
            expect((error as RdcError).code).toBe('RDC_KEY_FILE');
            expect((error as RdcError).message).toContain('the key');
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
