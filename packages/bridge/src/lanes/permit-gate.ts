// The local gate both lane workers of a team share on one bridge: `capacity` permits (batchSize +
// criticalSlots). The normal worker's concurrency keeps P3–P5 to batchSize of them; critical tasks may
// take any free permit and are served first when tasks wait, so a P1 never queues behind a P5 here.
import type { Lane } from '@rediacc/core';

export type PermitResult = { granted: true; release: () => void } | { granted: false; reason: 'closing' | 'aborted' };

interface Waiter {
  lane: Lane;
  grant: (result: PermitResult) => void;
}

export class PermitGate {
  private readonly heldBy: Record<Lane, number> = { critical: 0, normal: 0 };
  private readonly waiting: Waiter[] = [];
  private closed = false;

  /** `onChange` hears every change of the permits held, to steer how much the lane workers claim. */
  constructor(
    readonly capacity: number,
    private readonly onChange: (held: Readonly<Record<Lane, number>>) => void = () => {},
  ) {}

  held(lane?: Lane): number {
    return lane ? this.heldBy[lane] : this.heldBy.critical + this.heldBy.normal;
  }

  /** Resolves when a permit is free for `lane`, or with the reason none will be (gate closing, signal aborted). */
  acquire(lane: Lane, signal?: AbortSignal): Promise<PermitResult> {
    if (this.closed) return Promise.resolve({ granted: false, reason: 'closing' });
    if (signal?.aborted) return Promise.resolve({ granted: false, reason: 'aborted' });
    if (this.waiting.length === 0 && this.held() < this.capacity) return Promise.resolve(this.take(lane));
    return new Promise((resolve) => {
      const waiter: Waiter = {
        lane,
        grant: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i < 0) return;
        this.waiting.splice(i, 1);
        waiter.grant({ granted: false, reason: 'aborted' });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
      this.serve();
    });
  }

  /** Turns every waiter away (they hand their tasks back) and refuses new ones; held permits stay valid. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.grant({ granted: false, reason: 'closing' });
  }

  private take(lane: Lane): PermitResult {
    this.heldBy[lane]++;
    let released = false;
    this.onChange(this.heldBy);
    return {
      granted: true,
      release: () => {
        if (released) return;
        released = true;
        this.heldBy[lane]--;
        this.onChange(this.heldBy);
        this.serve();
      },
    };
  }

  /** Hands free permits to waiters: critical ones first, each lane in arrival order. */
  private serve(): void {
    while (this.held() < this.capacity && this.waiting.length > 0) {
      // The first critical waiter, else (-1 → 0) the oldest waiter.
      const critical = this.waiting.findIndex((w) => w.lane === 'critical');
      const [next] = this.waiting.splice(Math.max(critical, 0), 1);
      next?.grant(this.take(next.lane));
    }
  }
}
