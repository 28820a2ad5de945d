import { describe, expect, it } from 'vitest';
import { hostKeyFingerprint } from './keys.js';

// Fingerprint taken from `ssh-keygen -lf` on this key.
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHtSTlAkjk5tLNihnXEsV684RSvZTUjqcKxYKkpsfy7h rediacc';
const FINGERPRINT = 'SHA256:ww3DY3WOWv7dePQeQ0pxcAUXLimq/a+OSTUU9ZYefdc';

describe('hostKeyFingerprint', () => {
  it('matches what ssh-keygen -lf prints, without base64 padding', () => {
    expect(hostKeyFingerprint(KEY)).toBe(FINGERPRINT);
  });

  it('ignores the comment and surrounding whitespace', () => {
    const [type, blob] = KEY.split(' ');
    expect(hostKeyFingerprint(`  ${type}\t${blob}\n`)).toBe(FINGERPRINT);
    expect(hostKeyFingerprint(`${type} ${blob} another comment with spaces`)).toBe(FINGERPRINT);
  });

  it('rejects a line that is not an OpenSSH public key', () => {
    for (const line of ['', 'ssh-ed25519', 'ssh-ed25519 not*base64', 'SHA256:ww3DY3WOWv7d']) {
      expect(() => hostKeyFingerprint(line)).toThrow(expect.objectContaining({ code: 'RDC_INVALID_INPUT' }));
    }
  });
});
