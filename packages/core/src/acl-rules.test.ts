import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aclRules, aclUserName, fleetAdminRules, parseAclUserName, ROLES, type Role } from './acl-rules.js';

const teamName = fc.string({ unit: fc.constantFrom(...'abcAB019._-'), minLength: 1, maxLength: 20 });

/** A rule list split into the root part and its selectors, each as key patterns, channels and commands. */
function parts(rules: string[]) {
  const split = (tokens: string[]) => ({
    keys: tokens.filter((t) => /^(%R|%W|%RW)?~/.test(t)),
    channels: tokens.filter((t) => t.startsWith('&')),
    commands: tokens.filter((t) => t.startsWith('+')).map((t) => t.slice(1)),
  });
  const root = rules.filter((r) => !r.startsWith('('));
  const selectors = rules.filter((r) => r.startsWith('(')).map((r) => split(r.slice(1, -1).split(' ')));
  return { root: split(root), selectors };
}

/** Redis glob, for the only metacharacter our patterns use. */
function globMatches(pattern: string, key: string): boolean {
  const body = pattern.replace(/^(%R|%W|%RW)?~/, '');
  const regex = new RegExp(
    `^${body
      .split('*')
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(key);
}

const writable = (pattern: string) => !pattern.startsWith('%R~');

describe('aclUserName / parseAclUserName', () => {
  it('names users rdc-TEAM-ROLE and reads them back', () => {
    expect(aclUserName('Production', 'operator')).toBe('rdc-Production-operator');
    expect(parseAclUserName('rdc-prod-01-viewer')).toEqual({ team: 'prod-01', role: 'viewer' });
  });

  it.each(['default', 'rdc-admin', 'rdc--viewer', 'rdc-A-root', 'rdc-a b-viewer', 'x-A-viewer', 'rdc-A-Viewer'])(
    'reads %j as no rediacc team user',
    (user) => {
      expect(parseAclUserName(user)).toBeUndefined();
    },
  );

  it('property: two different team/role pairs never share a user name, and each name reads back', () => {
    fc.assert(
      fc.property(teamName, fc.constantFrom(...ROLES), teamName, fc.constantFrom(...ROLES), (t1, r1, t2, r2) => {
        expect(parseAclUserName(aclUserName(t1, r1))).toEqual({ team: t1, role: r1 });
        if (t1 !== t2 || r1 !== r2) expect(aclUserName(t1, r1)).not.toBe(aclUserName(t2, r2));
      }),
    );
  });
});

describe('aclRules', () => {
  it.each(ROLES)(
    '%s: every key and channel pattern is the team’s own prefix, or reads the teams registry or fleet webhooks',
    (role) => {
      const { root, selectors } = parts(aclRules('A', role));
      for (const group of [root, ...selectors]) {
        for (const key of group.keys) {
          if (key === '%R~rdc:teams' || key === '%R~rdc:webhooks') continue;
          expect(key.replace(/^(%R|%W|%RW)?~/, '')).toMatch(/^rdc:\{A\}:/);
        }
        for (const channel of group.channels) expect(channel).toMatch(/^&rdc:\{A\}:/);
      }
    },
  );

  it('property: no pattern of team A matches a key or channel of another team, even one whose name starts with A', () => {
    fc.assert(
      fc.property(teamName, teamName, fc.constantFrom(...ROLES), (a, b, role) => {
        fc.pre(a !== b);
        const { root, selectors } = parts(aclRules(a, role));
        for (const group of [root, ...selectors]) {
          for (const pattern of [...group.keys, ...group.channels.map((c) => `~${c.slice(1)}`)]) {
            for (const key of [
              `rdc:{${b}}:tasks:1`,
              `rdc:{${b}}:audit:rdc-${a}-${role}`,
              `rdc:{${b}}:cancel`,
              `rdc:{${b}}:machines`,
            ]) {
              expect(globMatches(pattern, key), `${pattern} matches ${key}`).toBe(false);
            }
          }
        }
      }),
    );
  });

  it('gives no role a command that lists or wipes the whole keyspace, or changes the server', () => {
    const forbidden = [
      'keys',
      'scan',
      'randomkey',
      'flushall',
      'flushdb',
      'config',
      'acl',
      'client',
      'debug',
      'monitor',
      'shutdown',
      'function',
      'script',
      'module',
      'save',
      'bgsave',
      'replicaof',
      'migrate',
      'copy',
      'move',
      'restore',
      'swapdb',
      'xsetid',
      '@all',
      'client|kill',
      'client|list',
      'acl|setuser',
    ];
    for (const role of ROLES) {
      const { root, selectors } = parts(aclRules('A', role));
      for (const commands of [root.commands, ...selectors.map((s) => s.commands)]) {
        for (const command of forbidden) expect(commands, `${role} has ${command}`).not.toContain(command);
        expect(
          commands.some((c) => c.startsWith('@')),
          `${role} uses a category`,
        ).toBe(false);
      }
    }
  });

  it('viewer: read-only patterns at the root, scripts and the audit append only in their own selectors', () => {
    const { root, selectors } = parts(aclRules('A', 'viewer'));
    expect(root.keys.every((k) => k.startsWith('%R~'))).toBe(true);
    expect(root.commands).not.toContain('xadd');
    expect(root.commands).not.toContain('hset');
    expect(root.commands).not.toContain('evalsha');
    expect(root.channels).toEqual([]);
    expect(selectors.map((s) => s.commands.sort())).toEqual([
      ['eval', 'eval_ro', 'evalsha', 'evalsha_ro'],
      ['xadd'],
      ['sadd'],
    ]);
  });

  it.each(['operator', 'viewer', 'bridge'] as Role[])(
    '%s: appends to its own audit stream only, and no group that writes an audit key holds another write command',
    (role) => {
      const { root, selectors } = parts(aclRules('A', role));
      const own = `rdc:{A}:audit:rdc-A-${role}`;
      const others = ['admin', 'operator', 'viewer', 'bridge']
        .filter((r) => r !== role)
        .map((r) => `rdc:{A}:audit:rdc-A-${r}`);
      for (const group of [root, ...selectors]) {
        const writes = (key: string) => group.keys.some((k) => writable(k) && globMatches(k, key));
        // Scripts are checked command by command against the user again, so EVAL adds no write of its own.
        const writeCommands = group.commands.filter((c) => !/^eval/.test(c));
        if (writes(own)) expect(writeCommands.filter((c) => c !== 'xadd')).toEqual([]);
        if (writes('rdc:{A}:audit-writers')) expect(writeCommands.filter((c) => c !== 'sadd')).toEqual([]);
        for (const other of [...others, 'rdc:{A}:audit:default', 'rdc:{A}:audit:rdc-admin']) {
          if (writes(other)) expect(writeCommands, `${role} writes ${other}`).toEqual([]);
        }
      }
      expect(selectors.some((s) => s.commands.join() === 'xadd' && s.keys.join() === `~${own}`)).toBe(true);
    },
  );

  it('operator: cannot write the machines registry, output, slot leases or alerts; can write its queues', () => {
    const { root } = parts(aclRules('A', 'operator'));
    const canWrite = (key: string) => root.keys.some((k) => writable(k) && globMatches(k, key));
    for (const key of ['rdc:{A}:machines', 'rdc:{A}:output:t1', 'rdc:{A}:machine-slots:m1', 'rdc:{A}:alerts']) {
      expect(canWrite(key), key).toBe(false);
    }
    for (const key of ['rdc:{A}:tasks:wait', 'rdc:{A}:critical:t1', 'rdc:{A}:cancelled', 'rdc:{A}:cancel:t1']) {
      expect(canWrite(key), key).toBe(true);
    }
    expect(root.commands).not.toContain('bzpopmin');
    expect(root.commands).toContain('publish');
  });

  it('bridge: consumes (BZPOPMIN, SUBSCRIBE) but cannot write tombstones, cancel flags or the machines registry', () => {
    const { root } = parts(aclRules('A', 'bridge'));
    expect(root.commands).toEqual(expect.arrayContaining(['bzpopmin', 'subscribe', 'evalsha']));
    expect(root.commands).not.toContain('publish');
    const canWrite = (key: string) => root.keys.some((k) => writable(k) && globMatches(k, key));
    for (const key of ['rdc:{A}:machines', 'rdc:{A}:cancelled', 'rdc:{A}:cancel:t1', 'rdc:{A}:audit:rdc-A-bridge']) {
      expect(canWrite(key), key).toBe(false);
    }
    expect(canWrite('rdc:{A}:output:t1')).toBe(true);
    // Its heartbeat, which operators and viewers read (their read-all pattern covers it).
    expect(canWrite('rdc:{A}:bridges')).toBe(true);
    expect(canWrite('rdc:{A}:bridge:b-1')).toBe(true);
  });

  it('alerts: a bridge writes its engine keys (deliveries, firing state, alert log) but not webhooks or rules', () => {
    const { root } = parts(aclRules('A', 'bridge'));
    const canWrite = (key: string) => root.keys.some((k) => writable(k) && globMatches(k, key));
    for (const key of [
      'rdc:{A}:alert-deliveries:wait',
      'rdc:{A}:alert-state',
      'rdc:{A}:alert-since',
      'rdc:{A}:alert-log',
    ]) {
      expect(canWrite(key), key).toBe(true);
    }
    for (const key of ['rdc:{A}:webhooks', 'rdc:{A}:alert-rules', 'rdc:webhooks'])
      expect(canWrite(key), key).toBe(false);
    expect(root.commands).toEqual(expect.arrayContaining(['xreadgroup', 'xack', 'xautoclaim', 'xgroup|create']));
    for (const role of ['operator', 'viewer'] as Role[]) {
      const keys = parts(aclRules('A', role)).root.keys;
      for (const key of ['rdc:{A}:webhooks', 'rdc:{A}:alert-rules', 'rdc:{A}:alert-state', 'rdc:webhooks']) {
        expect(
          keys.some((k) => writable(k) && globMatches(k, key)),
          `${role} writes ${key}`,
        ).toBe(false);
      }
      expect(keys).toContain('%R~rdc:webhooks');
    }
  });

  it('admin: every key of its team, including the audit stream, and still not the teams registry', () => {
    const { root } = parts(aclRules('A', 'admin'));
    expect(root.keys).toEqual(['~rdc:{A}:*', '%R~rdc:teams', '%R~rdc:webhooks']);
    expect(root.commands).toEqual(expect.arrayContaining(['xtrim', 'del', 'hset']));
  });

  it.each(ROLES)('%s: every selector resets its channels (a new selector starts from acl-pubsub-default)', (role) => {
    const selectors = aclRules('A', role).filter((r) => r.startsWith('('));
    for (const s of selectors) expect(s).toMatch(/^\(resetchannels /);
    expect(parts(aclRules('A', role)).selectors.every((s) => s.channels.length === 0)).toBe(true);
  });

  it('refuses a team name that would put glob characters in a pattern', () => {
    for (const team of ['*', 'a*', 'a?', '[a]', 'a}b', 'a b', '']) expect(() => aclRules(team, 'viewer')).toThrow();
  });

  it('fleet admin keeps everything', () => {
    expect(fleetAdminRules()).toEqual(['~*', '&*', '+@all']);
  });
});
