import { describe, expect, it } from 'vitest';
import { LANE_QUEUES, queueNameFor, registryKeys, taskKey, teamOfKey, teamPrefix } from './keys.js';
import { PRIORITIES } from './task-spec.js';

describe('queue naming', () => {
  it.each([
    [1, 'critical'],
    [2, 'critical'],
    [3, 'tasks'],
    [4, 'tasks'],
    [5, 'tasks'],
  ])('puts P%i tasks in the %s queue', (priority, queue) => {
    expect(queueNameFor(priority)).toBe(queue);
  });

  it('gives every priority one of the lane queues', () => {
    for (const p of PRIORITIES) expect(Object.values(LANE_QUEUES)).toContain(queueNameFor(p));
  });

  it('keeps every key of a team, in every lane, under its hash tag', () => {
    expect(teamPrefix('Ops')).toBe('rdc:{Ops}');
    expect(taskKey('Ops', 'critical', 'id-1')).toBe('rdc:{Ops}:critical:id-1');
    expect(taskKey('Ops', 'normal', 'id-1')).toBe('rdc:{Ops}:tasks:id-1');
    expect(registryKeys.machineSlots('Ops', 'web-01')).toBe('rdc:{Ops}:machine-slots:web-01');
  });
});

describe('teamOfKey', () => {
  it('finds the team of every per-team key, which the ACL patterns rdc:{TEAM}:* rely on', () => {
    const keys = [
      registryKeys.machines('A.b-1'),
      registryKeys.alerts('A.b-1'),
      registryKeys.cancelled('A.b-1'),
      registryKeys.cancelledOrder('A.b-1'),
      registryKeys.cancelRequest('A.b-1', 't'),
      registryKeys.output('A.b-1', 't'),
      registryKeys.cancelChannel('A.b-1'),
      registryKeys.machineSlots('A.b-1', 'm'),
      registryKeys.auditStream('A.b-1', 'rdc-A.b-1-viewer'),
      registryKeys.auditWriters('A.b-1'),
      taskKey('A.b-1', 'normal', 't'),
    ];
    for (const key of keys) expect(teamOfKey(key), key).toBe('A.b-1');
  });

  it.each(['rdc:teams', 'bull:x', 'rdc:{}:x', 'rdc:{a b}:x', 'rdc:{A}', 'x:rdc:{A}:y'])(
    'finds no team in %j',
    (key) => {
      expect(teamOfKey(key)).toBeUndefined();
    },
  );
});
