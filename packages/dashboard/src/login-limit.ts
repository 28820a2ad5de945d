// Guessing tokens at /login is slowed per client address: after `maxFailures` refused logins within `windowMs`,
// every login from that address answers 429 with Retry-After until the window ends (a right token included, so a
// guesser learns nothing from it). Counted in this process's memory: an address is the socket's (request.ip;
// no proxy headers are trusted), and the map is pruned so a flood of addresses cannot grow it without bound.

export interface LoginLimitOptions {
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMIT: LoginLimitOptions = { maxFailures: 10, windowMs: 60_000 };
/** Addresses tracked before expired windows are swept. */
const PRUNE_AT = 10_000;

export class LoginLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly options: LoginLimitOptions = DEFAULT_LOGIN_LIMIT) {}

  /** Seconds to wait before `address` may try again, or 0 when it may try now. */
  retryAfter(address: string, now = Date.now()): number {
    const entry = this.failures.get(address);
    if (!entry || entry.resetAt <= now) return 0;
    return entry.count >= this.options.maxFailures ? Math.ceil((entry.resetAt - now) / 1000) : 0;
  }

  fail(address: string, now = Date.now()): void {
    const entry = this.failures.get(address);
    if (entry && entry.resetAt > now) {
      entry.count += 1;
      return;
    }
    if (this.failures.size >= PRUNE_AT) {
      for (const [key, value] of this.failures) if (value.resetAt <= now) this.failures.delete(key);
    }
    this.failures.set(address, { count: 1, resetAt: now + this.options.windowMs });
  }
}
