import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from './signature.js';

describe('webhook signatures', () => {
  it('is the HMAC-SHA256 of "<timestamp>.<body>" as the README tells receivers to check', () => {
    const body = '{"id":"a","state":"firing"}';
    const expected = createHmac('sha256', 'secret-0123456789').update(`1700000000000.${body}`).digest('hex');
    expect(signBody('secret-0123456789', 1_700_000_000_000, body)).toBe(`sha256=${expected}`);
  });

  it('verifies only the same secret, timestamp and body', () => {
    const signature = signBody('secret-0123456789', 42, 'body');
    expect(verifySignature('secret-0123456789', '42', 'body', signature)).toBe(true);
    expect(verifySignature('secret-0123456780', '42', 'body', signature)).toBe(false);
    expect(verifySignature('secret-0123456789', '43', 'body', signature)).toBe(false);
    expect(verifySignature('secret-0123456789', '42', 'body ', signature)).toBe(false);
    expect(verifySignature('secret-0123456789', '42', 'body', 'sha256=00')).toBe(false);
  });
});
