import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NAME_PATTERN } from './names.js';
import { machineInputSchema } from './registry-records.js';
import { taskSpecSchema } from './task-spec.js';
import {
  MAX_SECRET_BYTES,
  SECRET_NAME_PATTERN,
  secretNameSchema,
  secretRefSchema,
  secretRefsSchema,
  secretValueSchema,
  vaultEntryNameSchema,
} from './vault-records.js';

// Characters that are valid in names, plus ones that must never get through (shell, key and path syntax).
const nameChar = fc.constantFrom('a', 'Z', '_', '0', '9', 'R', 'D', 'C', '-', '.', '/', '=', ' ', '$', '{', '\n', 'é');
const anyName = fc.string({ unit: nameChar, maxLength: 20 });
const wellFormedRef = fc.constantFrom('API', 'DB_URL', 'TOKEN=API', 'API=DB_URL', '_x');
const validName = fc
  .tuple(fc.constantFrom('A', 'b', '_'), fc.string({ unit: fc.constantFrom('a', 'Z', '_', '0', '9'), maxLength: 12 }))
  .map(([head, rest]) => head + rest);

describe('vault schemas (property tests)', () => {
  it('accepts a secret name exactly when it is an environment variable name not starting with RDC_', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyName,
          anyName.map((n) => `RDC_${n}`),
        ),
        (name) => {
          const expected = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name) && !name.startsWith('RDC_');
          expect(secretNameSchema.safeParse(name).success).toBe(expected);
          expect(SECRET_NAME_PATTERN.test(name)).toBe(expected);
        },
      ),
    );
  });

  it('accepts vault entry names that are secret names or ssh-key/ + a machine name, nothing else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyName,
          anyName.map((n) => `ssh-key/${n}`),
        ),
        (name) => {
          const machine = name.startsWith('ssh-key/') ? name.slice('ssh-key/'.length) : undefined;
          const expected = SECRET_NAME_PATTERN.test(name) || (machine !== undefined && NAME_PATTERN.test(machine));
          expect(vaultEntryNameSchema.safeParse(name).success).toBe(expected);
        },
      ),
    );
  });

  it('reads NAME and ENV=NAME secret references, and refuses everything else', () => {
    fc.assert(
      fc.property(
        validName.filter((n) => !n.startsWith('RDC_')),
        validName.filter((n) => !n.startsWith('RDC_')),
        (env, name) => {
          expect(secretRefSchema.parse(name)).toEqual({ env: name, name });
          expect(secretRefSchema.parse(`${env}=${name}`)).toEqual({ env, name });
          expect(secretRefSchema.parse({ env, name })).toEqual({ env, name });
          expect(secretRefSchema.safeParse(`${env}=${name}=${name}`).success).toBe(false);
        },
      ),
    );
    fc.assert(
      fc.property(anyName, (ref) => {
        const parts = ref.split('=');
        const expected = parts.length <= 2 && parts.every((p) => SECRET_NAME_PATTERN.test(p));
        expect(secretRefSchema.safeParse(ref).success).toBe(expected);
      }),
    );
  });

  it('refuses a task that maps two secrets to one variable', () => {
    fc.assert(
      fc.property(
        validName.filter((n) => !n.startsWith('RDC_')),
        (env) => {
          expect(secretRefsSchema.safeParse([env, `${env}=OTHER`]).success).toBe(false);
          expect(secretRefsSchema.safeParse([env, `OTHER=${env}`]).success).toBe(true);
        },
      ),
    );
  });

  it('accepts secret values without NUL up to the size limit', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (value) => {
        const expected = value.length > 0 && !value.includes('\0');
        expect(secretValueSchema.safeParse(value).success).toBe(expected);
      }),
    );
    expect(secretValueSchema.safeParse('x'.repeat(MAX_SECRET_BYTES)).success).toBe(true);
    expect(secretValueSchema.safeParse('x'.repeat(MAX_SECRET_BYTES + 1)).success).toBe(false);
    expect(secretValueSchema.safeParse('é'.repeat(MAX_SECRET_BYTES / 2 + 1)).success).toBe(false);
  });

  it('accepts team and machine names of a machine exactly when they match the name pattern', () => {
    const base = { host: 'h', privateKey: 'k', hostKeyFingerprint: `SHA256:${'A'.repeat(43)}` };
    fc.assert(
      fc.property(anyName, anyName, (name, team) => {
        const expected = NAME_PATTERN.test(name) && NAME_PATTERN.test(team);
        expect(machineInputSchema.safeParse({ ...base, name, team }).success).toBe(expected);
      }),
    );
  });

  it('keeps only well-formed secret references in a task spec', () => {
    fc.assert(
      // Random strings are rarely references: mix in well-formed ones (NAME, ENV=NAME), some naming one variable twice.
      fc.property(fc.array(fc.oneof(anyName, wellFormedRef), { maxLength: 5 }), (refs) => {
        const spec = { team: 't', machine: 'm', command: 'true', secrets: refs };
        const parsed = taskSpecSchema.safeParse(spec);
        const wellFormed = refs.every((r) => secretRefSchema.safeParse(r).success);
        const envs = wellFormed ? refs.map((r) => secretRefSchema.parse(r).env) : [];
        // Well-formed references to distinct variables are kept (a schema refusing every list fails here too).
        expect(parsed.success).toBe(wellFormed && new Set(envs).size === envs.length);
        if (parsed.success) {
          for (const ref of parsed.data.secrets ?? []) {
            expect(ref.env).toMatch(SECRET_NAME_PATTERN);
            expect(ref.name).toMatch(SECRET_NAME_PATTERN);
          }
        }
      }),
    );
  });
});
