// RunCleaner batches the removal of finished runs per machine: each machine's batch goes a second after its own first
// stored run, so machines whose runs end at different moments do not all fork `rm` at once.
import { createLogger } from '@rediacc/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MachinePool } from './pool.js';
import { RunCleaner } from './run-cleaner.js';

const logger = createLogger({ name: 'test', level: 'silent' });

/** A machine whose agent records what it was asked to remove, and when. */
function machine(label: string, sent: string[]) {
  const agent = {
    clean: (ids: string[], o?: { background?: boolean }) => {
      sent.push(`${Date.now()} ${label} ${o?.background ? 'C' : 'c'} ${ids.join(',')}`);
    },
    forget: () => {},
  };
  return { target: { label }, anyAgent: () => agent } as unknown as MachinePool;
}

describe('RunCleaner', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends each machine's removals a second after its own first stored run, in the background, in one line", () => {
    const sent: string[] = [];
    const cleaner = new RunCleaner(logger);
    const [a, b] = [machine('a', sent), machine('b', sent)];
    cleaner.hold('a1', a);
    cleaner.hold('a2', a);
    cleaner.hold('b1', b);
    cleaner.stored('a1');
    vi.advanceTimersByTime(400);
    cleaner.stored('b1');
    cleaner.stored('a2');
    cleaner.stored('unknown'); // not held here: nothing to remove
    vi.advanceTimersByTime(600);
    expect(sent).toEqual(['1000 a C a1,a2']);
    vi.advanceTimersByTime(400);
    expect(sent).toEqual(['1000 a C a1,a2', '1400 b C b1']);
  });

  it('flush sends every pending batch at once (the bridge stopping), and the timers then send nothing more', () => {
    const sent: string[] = [];
    const cleaner = new RunCleaner(logger);
    const [a, b] = [machine('a', sent), machine('b', sent)];
    cleaner.hold('a1', a);
    cleaner.hold('b1', b);
    cleaner.stored('a1');
    cleaner.stored('b1');
    vi.advanceTimersByTime(100);
    cleaner.flush();
    vi.advanceTimersByTime(5_000);
    expect(sent).toEqual(['100 a C a1', '100 b C b1']);
  });
});
