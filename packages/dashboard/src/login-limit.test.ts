import { describe, expect, it } from 'vitest';
import { LoginLimiter } from './login-limit.js';

describe('LoginLimiter', () => {
  it('lets an address fail maxFailures times, then asks it to wait until its window ends', () => {
    const limiter = new LoginLimiter({ maxFailures: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfter('a', 1_000)).toBe(0);
      limiter.fail('a', 1_000 + i);
    }
    expect(limiter.retryAfter('a', 1_500)).toBe(60);
    expect(limiter.retryAfter('a', 60_001)).toBe(1);
    expect(limiter.retryAfter('b', 1_500)).toBe(0);
    // The window started at the first failure: once it ends, the address starts again from nothing.
    expect(limiter.retryAfter('a', 61_000)).toBe(0);
    limiter.fail('a', 61_000);
    expect(limiter.retryAfter('a', 61_001)).toBe(0);
  });
});
