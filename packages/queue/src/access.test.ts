import { RdcError } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { accessDenied, asAccessDenied, describeUser, isAccessRefusal, refusedCommand } from './access.js';

/** An error as ioredis hands it over: the reply text, and the command it answered. */
function reply(message: string, name?: string, args: unknown[] = []): Error {
  return Object.assign(new Error(message), name ? { command: { name, args } } : {});
}

describe('isAccessRefusal', () => {
  it.each([
    "NOPERM this user has no permissions to run the 'hset' command",
    'NOPERM this user has no permissions to access one of the keys used as arguments',
    'NOPERM this user has no permissions to access one of the channels used as arguments',
    "ERR The user executing the script can't run this command or subcommand script: 89…, on @user_script:1.",
    "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments",
  ])('recognises %j', (message) => {
    expect(isAccessRefusal(reply(message))).toBe(true);
  });

  it.each(['WRONGTYPE Operation against a key holding the wrong kind of value', 'ERR syntax error', 'NOPERMISSION x'])(
    'leaves %j alone',
    (message) => {
      expect(isAccessRefusal(reply(message))).toBe(false);
    },
  );

  it('finds a refusal queued in a MULTI whose EXEC aborted', () => {
    const exec = Object.assign(new Error('EXECABORT Transaction discarded because of previous errors.'), {
      previousErrors: [reply("NOPERM this user has no permissions to run the 'multi' command", 'multi')],
    });
    expect(isAccessRefusal(exec)).toBe(true);
    expect(refusedCommand(exec).command).toBe('MULTI');
    expect(isAccessRefusal('NOPERM as a string')).toBe(false);
  });
});

describe('accessDenied', () => {
  it('names the user, its role and team, the action, the team of the refused key and the command', () => {
    const error = accessDenied(
      reply('NOPERM this user has no permissions to access one of the keys used as arguments', 'evalsha', [
        'abc',
        2,
        'rdc:{B}:tasks:wait',
        'rdc:{B}:tasks:id',
      ]),
      {
        user: 'rdc-A-operator',
        action: 'create tasks',
      },
    );
    expect(error).toBeInstanceOf(RdcError);
    expect((error as RdcError).code).toBe('RDC_ACCESS_DENIED');
    expect((error as RdcError).message).toBe(
      'user rdc-A-operator (operator of team A) may not create tasks in team B (Redis refused EVALSHA: NOPERM this user has no permissions to access one of the keys used as arguments)',
    );
  });

  it('prefers the team the caller names, and passes any other error through unchanged', () => {
    const named = accessDenied(reply('NOPERM x', 'multi'), { user: undefined, action: 'cancel tasks', team: 'A' });
    expect((named as RdcError).message).toMatch(
      /^this Redis user may not cancel tasks in team A \(Redis refused MULTI/,
    );
    const other = new Error('ECONNRESET');
    expect(accessDenied(other, { user: 'x', action: 'y' })).toBe(other);
  });
});

describe('asAccessDenied', () => {
  /** A connection that answers ACL WHOAMI with `user` and counts how often it was asked. */
  function whoAmIRedis(user: string) {
    const asked = { count: 0 };
    const redis = {
      call: async () => {
        asked.count++;
        return user;
      },
    } as unknown as Redis;
    return { redis, asked };
  }

  it('names the user Redis reports for a refusal', async () => {
    const { redis, asked } = whoAmIRedis('rdc-A-viewer');
    const error = await asAccessDenied(reply('NOPERM x', 'xrange', ['rdc:team:B:audit:x']), redis, {
      action: 'read the audit log',
      team: 'B',
    });
    expect(error).toBeInstanceOf(RdcError);
    expect((error as RdcError).code).toBe('RDC_ACCESS_DENIED');
    expect((error as RdcError).message).toMatch(
      /^user rdc-A-viewer \(viewer of team A\) may not read the audit log in team B/,
    );
    expect(asked.count).toBe(1);
  });

  it('passes any other error through without asking Redis who it is', async () => {
    const { redis, asked } = whoAmIRedis('rdc-A-viewer');
    const other = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
    expect(await asAccessDenied(other, redis, { action: 'do this' })).toBe(other);
    expect(asked.count).toBe(0);
  });
});

describe('describeUser', () => {
  it('reads team and role out of rediacc user names only', () => {
    expect(describeUser('rdc-prod-01-viewer')).toBe('user rdc-prod-01-viewer (viewer of team prod-01)');
    expect(describeUser('default')).toBe('user default');
    expect(describeUser(undefined)).toBe('this Redis user');
  });
});
