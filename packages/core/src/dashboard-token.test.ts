import { describe, expect, it } from 'vitest';
import { DASHBOARD_ROLES, formatToken, roleAtLeast, tokenIdOf } from './dashboard-token.js';

const SECRET = 'A'.repeat(43);

describe('dashboard tokens', () => {
  it('reads the id back out of a token text, and nothing out of anything else', () => {
    expect(tokenIdOf(formatToken('0123456789abcdef', SECRET))).toBe('0123456789abcdef');
    for (const bad of [
      '',
      'rdt_0123456789abcdef',
      `rdt_0123456789ABCDEF_${SECRET}`,
      `rdt_0123456789abcdef_${SECRET}x`,
      `xrdt_0123456789abcdef_${SECRET}`,
      `rdt_0123456789abcdef_${'A'.repeat(42)}=`,
    ]) {
      expect(tokenIdOf(bad), bad).toBeUndefined();
    }
  });

  it('orders roles viewer < operator < admin', () => {
    expect(DASHBOARD_ROLES).toEqual(['viewer', 'operator', 'admin']);
    expect(roleAtLeast('admin', 'operator')).toBe(true);
    expect(roleAtLeast('operator', 'operator')).toBe(true);
    expect(roleAtLeast('viewer', 'operator')).toBe(false);
    expect(roleAtLeast('operator', 'admin')).toBe(false);
  });
});
