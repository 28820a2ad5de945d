import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  FINGERPRINT_PATTERN,
  machineInputSchema,
  machinePatchSchema,
  machineRecordSchema,
  teamRecordSchema,
} from './registry-records.js';

// What `ssh-keygen -lf` prints: SHA256: + unpadded base64 of the key's SHA-256.
const fingerprint = `SHA256:${createHash('sha256').update('a host key').digest('base64').replace(/=+$/, '')}`;
const machine = {
  name: 'prod-01',
  team: 'ops',
  host: '10.0.0.5',
  keyFile: '/keys/prod-01',
  hostKeyFingerprint: fingerprint,
};

describe('machineInputSchema', () => {
  it('defaults port 22 and user root', () => {
    expect(machineInputSchema.parse(machine)).toEqual({ ...machine, port: 22, user: 'root' });
  });

  it.each(['db.example.com', '10.0.0.5', '::1', 'fe80::1', 'host_1'])('accepts host %j', (host) => {
    expect(machineInputSchema.safeParse({ ...machine, host }).success).toBe(true);
  });

  it.each(['', 'a b', 'host;rm -rf /', 'user@host', '-oProxyCommand=x'])('refuses host %j', (host) => {
    expect(machineInputSchema.safeParse({ ...machine, host }).success).toBe(false);
  });

  it.each([0, 65_536, 22.5])('refuses port %s', (port) => {
    expect(machineInputSchema.safeParse({ ...machine, port }).success).toBe(false);
  });

  it.each(['root', 'deploy', '_svc', 'a.b-c'])('accepts user %j', (user) => {
    expect(machineInputSchema.safeParse({ ...machine, user }).success).toBe(true);
  });

  it.each(['', '1abc', 'a b', 'a'.repeat(33), 'root;id'])('refuses user %j', (user) => {
    expect(machineInputSchema.safeParse({ ...machine, user }).success).toBe(false);
  });

  it('refuses unknown fields and bad names', () => {
    expect(machineInputSchema.safeParse({ ...machine, password: 'x' }).success).toBe(false);
    expect(machineInputSchema.safeParse({ ...machine, name: '{x}' }).success).toBe(false);
    expect(machineInputSchema.safeParse({ ...machine, team: 'a:b' }).success).toBe(false);
  });
});

describe('host key fingerprints', () => {
  it('accepts a fingerprint the way ssh-keygen prints it', () => {
    expect(fingerprint).toMatch(FINGERPRINT_PATTERN);
  });

  it.each([
    ['padded base64', `${fingerprint}=`],
    ['an MD5 fingerprint', 'MD5:12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0'],
    ['no prefix', fingerprint.slice('SHA256:'.length)],
    ['a truncated hash', fingerprint.slice(0, -1)],
  ])('refuses %s', (_, value) => {
    expect(machineInputSchema.safeParse({ ...machine, hostKeyFingerprint: value }).success).toBe(false);
  });
});

describe('records', () => {
  it('a machine record is a machine input plus when it was added', () => {
    expect(machineRecordSchema.parse({ ...machine, addedAt: 1 })).toMatchObject({ addedAt: 1, port: 22 });
    expect(machineRecordSchema.safeParse(machine).success).toBe(false);
  });

  it('a team record needs a valid name and a creation time; the public key is optional', () => {
    expect(teamRecordSchema.safeParse({ name: 'ops', createdAt: 1 }).success).toBe(true);
    expect(teamRecordSchema.safeParse({ name: 'ops', createdAt: 1, publicKey: 'AAAA' }).success).toBe(true);
    expect(teamRecordSchema.safeParse({ name: 'o p s', createdAt: 1 }).success).toBe(false);
  });
});

describe('max concurrent per machine', () => {
  it('is optional on a machine and, when given, a whole number from 1 to 1000', () => {
    expect(machineInputSchema.parse(machine).maxConcurrent).toBeUndefined();
    expect(machineInputSchema.parse({ ...machine, maxConcurrent: 2 }).maxConcurrent).toBe(2);
    for (const bad of [0, -1, 1.5, 1_001, '2']) {
      expect(machineInputSchema.safeParse({ ...machine, maxConcurrent: bad }).success, String(bad)).toBe(false);
    }
  });

  it('a patch sets it, removes it with null, and refuses other fields', () => {
    expect(machinePatchSchema.parse({ maxConcurrent: 3 })).toEqual({ maxConcurrent: 3 });
    expect(machinePatchSchema.parse({ maxConcurrent: null })).toEqual({ maxConcurrent: null });
    expect(machinePatchSchema.safeParse({ maxConcurrent: 0 }).success).toBe(false);
    expect(machinePatchSchema.safeParse({ host: 'elsewhere' }).success).toBe(false);
  });
});
