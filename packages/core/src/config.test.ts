import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_REDIS_URL, loadConfig } from './config.js';
import { RdcError } from './errors.js';

function configError(env: Record<string, string | undefined>): RdcError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof RdcError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('defaults to Redis on 127.0.0.1:6379, ~/.rediacc and level info', () => {
    // A home of its own: a real `rediacc up` running for this machine's user must not change the defaults seen here.
    const home = mkdtempSync(join(tmpdir(), 'rdc-config-home-'));
    vi.stubEnv('HOME', home);
    try {
      expect(homedir()).toBe(home);
      expect(loadConfig({})).toEqual({
        redisUrl: 'redis://127.0.0.1:6379',
        redisUrlSource: 'default',
        home: join(homedir(), '.rediacc'),
        logLevel: 'info',
      });
    } finally {
      vi.unstubAllEnvs();
      rmSync(home, { recursive: true, force: true });
    }
    expect(DEFAULT_REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ REDIS_URL: '', RDC_HOME: '', RDC_LOG_LEVEL: '' })).toEqual(loadConfig({}));
  });

  it('reads REDIS_URL, RDC_HOME and RDC_LOG_LEVEL', () => {
    expect(
      loadConfig({
        REDIS_URL: 'rediss://user:pw@redis.internal:6380/2',
        RDC_HOME: '/srv/rediacc',
        RDC_LOG_LEVEL: 'debug',
      }),
    ).toEqual({
      redisUrl: 'rediss://user:pw@redis.internal:6380/2',
      redisUrlSource: 'REDIS_URL',
      home: '/srv/rediacc',
      logLevel: 'debug',
    });
  });

  it('ignores unrelated variables', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/nowhere' })).toEqual(loadConfig({}));
  });

  it.each(['http://127.0.0.1:6379', '127.0.0.1:6379', 'redis:/x', 'REDIS://host'])(
    'refuses REDIS_URL %j with RDC_CONFIG_INVALID naming REDIS_URL',
    (url) => {
      const error = configError({ REDIS_URL: url });
      expect(error.code).toBe('RDC_CONFIG_INVALID');
      expect(error.exitCode).toBe(2);
      expect(error.message).toMatch(/^REDIS_URL: /);
      expect(error.message).toContain('redis://');
    },
  );

  it('refuses an unknown log level, naming RDC_LOG_LEVEL', () => {
    const error = configError({ RDC_LOG_LEVEL: 'verbose' });
    expect(error.code).toBe('RDC_CONFIG_INVALID');
    expect(error.message).toMatch(/^RDC_LOG_LEVEL: /);
  });

  it('names every bad variable at once', () => {
    const error = configError({ REDIS_URL: 'http://x', RDC_LOG_LEVEL: 'loud' });
    expect(error.message).toContain('REDIS_URL: ');
    expect(error.message).toContain('RDC_LOG_LEVEL: ');
  });

  it('takes the audit actor from RDC_ACTOR, and none when it is unset', () => {
    expect(loadConfig({ RDC_ACTOR: 'alice@ops' }).actor).toBe('alice@ops');
    expect('actor' in loadConfig({})).toBe(false);
  });

  it.each(['alice smith', 'a'.repeat(129), 'bob\nforged', 'é'])(
    'refuses RDC_ACTOR %j, naming the variable',
    (actor) => {
      const error = configError({ RDC_ACTOR: actor });
      expect(error.code).toBe('RDC_CONFIG_INVALID');
      expect(error.message).toMatch(/^RDC_ACTOR: actor must be/);
    },
  );
});

describe('loadConfig with a running `rediacc up` stack', () => {
  let home: string;
  const stackUrl = 'redis://:generated-pw@127.0.0.1:6390';
  const writeStack = (content: unknown) => {
    mkdirSync(join(home, 'up'), { recursive: true });
    writeFileSync(join(home, 'up', 'stack.json'), JSON.stringify(content));
  };
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'rdc-config-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it("takes the stack's URL when REDIS_URL is unset", () => {
    writeStack({ pid: process.pid, url: stackUrl });
    expect(loadConfig({ RDC_HOME: home })).toMatchObject({ redisUrl: stackUrl, redisUrlSource: 'local stack' });
  });

  it('lets REDIS_URL win over the stack', () => {
    writeStack({ pid: process.pid, url: stackUrl });
    expect(loadConfig({ RDC_HOME: home, REDIS_URL: 'redis://other:6379' })).toMatchObject({
      redisUrl: 'redis://other:6379',
      redisUrlSource: 'REDIS_URL',
    });
  });

  it.each([
    ['whose up process is gone', { pid: 4_194_305, url: stackUrl }],
    ['that is still starting (no URL yet)', { pid: process.pid }],
    ['that is not a stack file', { url: stackUrl }],
  ])('falls back to the default for a stack file %s', (_, content) => {
    writeStack(content);
    expect(loadConfig({ RDC_HOME: home })).toMatchObject({ redisUrl: DEFAULT_REDIS_URL, redisUrlSource: 'default' });
  });
});
