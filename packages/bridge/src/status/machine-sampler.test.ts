import { createLogger } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MachineSampler, type SampleTarget } from './machine-sampler.js';

const target = (machine: string): SampleTarget => ({
  team: 't',
  machine,
  dir: '/tmp',
  exec: async () => '',
});

describe('MachineSampler rounds', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('spreads a round of samples evenly over the interval instead of sampling every machine at once', async () => {
    const sampler = new MachineSampler({
      // Never reached: a machine that is not registered (below) is skipped before any write.
      redis: undefined as unknown as Redis,
      bridgeId: 'b',
      intervalMs: 1_000,
      timeoutMs: 500,
      targets: () => ['m1', 'm2', 'm3', 'm4'].map(target),
      registered: async () => false,
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    sampler.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sampler.samplesStarted).toBe(1);
    await vi.advanceTimersByTimeAsync(250);
    expect(sampler.samplesStarted).toBe(2);
    await vi.advanceTimersByTimeAsync(500);
    expect(sampler.samplesStarted).toBe(4);
    await sampler.stop();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sampler.samplesStarted).toBe(4);
  });
});
