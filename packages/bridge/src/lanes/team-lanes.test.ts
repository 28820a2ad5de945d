import { describe, expect, it } from 'vitest';
import { PermitGate } from './permit-gate.js';
import { slotsOf } from './team-lanes.js';

describe('slotsOf', () => {
  it('shows an idle gate with batchSize normal slots free and every permit free for critical work', () => {
    expect(slotsOf(new PermitGate(4), 3)).toEqual({ normal: { busy: 0, free: 3 }, critical: { busy: 0, free: 4 } });
  });

  it('counts busy permits per lane and what each lane could still take', async () => {
    const gate = new PermitGate(4);
    await gate.acquire('normal');
    await gate.acquire('normal');
    await gate.acquire('critical');
    expect(slotsOf(gate, 3)).toEqual({ normal: { busy: 2, free: 1 }, critical: { busy: 1, free: 1 } });
    await gate.acquire('critical');
    // Critical work spilled into the normal slots: no lane may start anything.
    expect(slotsOf(gate, 3)).toEqual({ normal: { busy: 2, free: 0 }, critical: { busy: 2, free: 0 } });
  });
});
