import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, auditEntrySchema, auditInputSchema } from './audit-entry.js';

const valid = { actor: 'rdc-A-operator', team: 'A', action: 'task.create', target: 't1', outcome: 'ok' } as const;

describe('auditInputSchema', () => {
  it('accepts an entry with flat details', () => {
    const input = { ...valid, detail: { priority: 1, bridge: 'b1', final: true, code: null } };
    expect(auditInputSchema.parse(input)).toEqual(input);
  });

  it('covers every operation the issue lists', () => {
    for (const action of [
      'task.create',
      'task.cancel',
      'task.retry',
      'task.assigned',
      'task.processing',
      'task.completed',
      'task.failed',
      'task.cancelled',
      'vault.set',
      'vault.delete',
      'machine.add',
      'machine.remove',
      'key.rotate',
      'acl.apply',
    ]) {
      expect(AUDIT_ACTIONS).toContain(action);
    }
  });

  it.each([
    [{ ...valid, action: 'task.explode' }, 'action'],
    [{ ...valid, outcome: 'maybe' }, 'outcome'],
    [{ ...valid, actor: 'two words' }, 'actor'],
    [{ ...valid, team: 'a:b' }, 'team'],
    [{ ...valid, target: '' }, 'target'],
    [{ ...valid, detail: { nested: { a: 1 } } }, 'detail'],
    [{ ...valid, extra: 1 }, ''],
  ])('refuses %j (bad %s)', (input, field) => {
    const result = auditInputSchema.safeParse(input);
    expect(result.success).toBe(false);
    if (field) expect(result.error?.issues[0]?.path[0]).toBe(field);
  });
});

describe('auditEntrySchema', () => {
  it('adds the stream id and the time', () => {
    const entry = { ...valid, user: 'rdc-A-operator', id: '1700000000000-0', at: '2023-11-14T22:13:20.000Z' };
    expect(auditEntrySchema.parse(entry)).toEqual(entry);
    expect(auditEntrySchema.safeParse({ ...entry, id: 'x' }).success).toBe(false);
  });
});
