import { describe, expect, it } from 'vitest';
import {
  alertForSchema,
  thresholdSchema,
  webhookSecretSchema,
  webhookUrlHint,
  webhookUrlSchema,
} from './alert-config.js';

describe('webhookUrlSchema', () => {
  it.each(['https://hooks.example.com/rediacc', 'http://127.0.0.1:9000/x?y=1'])('accepts %s', (url) => {
    expect(webhookUrlSchema.parse(url)).toBe(url);
  });

  it.each(['ftp://example.com/x', 'hooks.example.com', 'javascript:alert(1)', 'file:///etc/passwd', 'http://', ''])(
    'refuses %j, saying http(s) only',
    (url) => {
      const result = webhookUrlSchema.safeParse(url);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toContain('http:// or https://');
    },
  );
});

describe('webhookUrlHint', () => {
  it.each([
    ['https://hooks.slack.com/services/T000/B000/XXXXa1b2', 'https://hooks.slack.com/…/a1b2'],
    ['https://user:pass@hooks.example.com:8443/rediacc/token-12345678', 'https://hooks.example.com:8443/…/5678'],
    ['https://discord.com/api/webhooks/1?token=abcdefghijkl', 'https://discord.com/…/ijkl'],
    ['http://127.0.0.1:9000/ops', 'http://127.0.0.1:9000/…'],
    ['https://hooks.example.com', 'https://hooks.example.com/'],
  ])('shows %s as %s: the origin and at most the last 4 characters of a long path', (url, hint) => {
    expect(webhookUrlHint(url)).toBe(hint);
    expect(hint).not.toContain('pass');
  });
});

describe('webhookSecretSchema', () => {
  it('takes 16 to 1024 printable characters and never echoes a refused one', () => {
    expect(webhookSecretSchema.safeParse('a'.repeat(16)).success).toBe(true);
    for (const bad of ['short', 'has space in it 123', 'newline\nin-the-secret', 'x'.repeat(1_025)]) {
      const result = webhookSecretSchema.safeParse(bad);
      expect(result.success).toBe(false);
      expect(JSON.stringify(result.error?.issues.map((i) => i.message))).not.toContain(bad);
    }
  });
});

describe('alertForSchema and thresholdSchema', () => {
  it('reads durations with core’s parser, up to 7d', () => {
    expect(alertForSchema.parse('2m')).toBe(120_000);
    expect(alertForSchema.parse('7d')).toBe(7 * 86_400_000);
    expect(alertForSchema.safeParse('8d').success).toBe(false);
    expect(alertForSchema.safeParse('2 m').success).toBe(false);
  });

  it('takes whole thresholds from 0', () => {
    expect(thresholdSchema.parse(0)).toBe(0);
    for (const bad of [-1, 1.5, Number.NaN, 1e9]) expect(thresholdSchema.safeParse(bad).success).toBe(false);
  });
});
