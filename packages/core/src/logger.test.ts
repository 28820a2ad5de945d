import { describe, expect, it } from 'vitest';
import { createLogger, REDACT_PATHS } from './logger.js';

/** A logger writing into an array of parsed lines. */
function capture(level = 'info') {
  const raw: string[] = [];
  const logger = createLogger({ name: 'test', level, destination: { write: (line: string) => raw.push(line) } });
  return { logger, raw, lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const SENTINELS = ['SENTINEL-vault-1', 'SENTINEL-secrets-2', 'SENTINEL-key-3', 'SENTINEL-pw-4', 'SENTINEL-env-5'];

describe('createLogger redaction', () => {
  it('never writes vault data, secrets or a nested private key', () => {
    const { logger, raw, lines } = capture();
    logger.info(
      {
        vaultData: { token: SENTINELS[0] },
        secrets: SENTINELS[1],
        nested: { privateKey: SENTINELS[2], keep: 'visible' },
      },
      'task created',
    );
    expect(raw).toHaveLength(1);
    for (const sentinel of SENTINELS) expect(raw.join('')).not.toContain(sentinel);
    expect(lines()[0]).toMatchObject({
      msg: 'task created',
      vaultData: '[redacted]',
      secrets: '[redacted]',
      nested: { privateKey: '[redacted]', keep: 'visible' },
    });
  });

  it('redacts every listed path, top level and one level down', () => {
    const { logger, raw } = capture();
    const fields = REDACT_PATHS.filter((path) => !path.startsWith('*.'));
    for (const [i, field] of fields.entries()) {
      logger.info({ [field]: `SENTINEL-top-${i}`, ctx: { [field]: `SENTINEL-nested-${i}` } });
    }
    expect(raw).toHaveLength(fields.length);
    expect(raw.join('')).not.toContain('SENTINEL');
  });

  it('redacts fields bound to a child logger', () => {
    const { logger, raw } = capture();
    logger.child({ team: 'ops', env: { API_TOKEN: SENTINELS[4] } }).warn({ password: SENTINELS[3] }, 'retrying');
    expect(raw.join('')).not.toContain('SENTINEL');
    expect(raw.join('')).toContain('"team":"ops"');
  });

  it('writes the logger name and honours the level', () => {
    const { logger, lines } = capture('warn');
    logger.info('hidden');
    logger.warn('shown');
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ name: 'test', msg: 'shown' });
  });

  it('refuses an unknown level when the logger is made, not at the first line', () => {
    expect(() => createLogger({ name: 'x', level: 'loud', destination: { write: () => {} } })).toThrow();
  });
});
