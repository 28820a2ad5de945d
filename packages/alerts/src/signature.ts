// How a receiver knows a delivery is ours: `X-Rediacc-Signature: sha256=<hex>`, the HMAC-SHA256 with the
// webhook's secret of `<timestamp>.<body>`, where <timestamp> is the `X-Rediacc-Timestamp` header (ms since the
// epoch). Signing the timestamp lets a receiver refuse replays of old deliveries (e.g. older than 5 minutes).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-rediacc-signature';
export const TIMESTAMP_HEADER = 'x-rediacc-timestamp';
export const EVENT_ID_HEADER = 'x-rediacc-alert-id';

export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does (and the tests do): recompute and compare in constant time. */
export function verifySignature(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(signBody(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
