// Run files on the machines are removed once a task's result is stored in Redis, never before: until then they
// are what lets another bridge collect the result after a crash. Stored results arrive through the worker's
// `completed` event; their removal is batched per machine (one `rm` for many runs, in the background on the machine,
// so the agent reads the next start at once). Each machine's batch goes a second after its own first run was
// stored, not on one timer for all: ten machines' removals (and their forks of `rm`) do not land in the same moment.
import type { Logger } from '@rediacc/core';
import type { MachinePool } from './pool.js';

const FLUSH_MS = 1_000;
const BATCH = 200;

export class RunCleaner {
  /** Runs in progress, by task id: which machine holds their files. */
  private readonly held = new Map<string, MachinePool>();
  private readonly due = new Map<MachinePool, { ids: Set<string>; timer: NodeJS.Timeout }>();

  constructor(private readonly logger: Logger) {}

  hold(taskId: string, pool: MachinePool): void {
    this.held.set(taskId, pool);
  }

  /** The task's result is stored: its run files may go. */
  stored(taskId: string): void {
    const pool = this.held.get(taskId);
    if (!pool) return;
    this.held.delete(taskId);
    const batch = this.due.get(pool);
    if (batch) batch.ids.add(taskId);
    else this.due.set(pool, { ids: new Set([taskId]), timer: setTimeout(() => this.flushOne(pool), FLUSH_MS) });
  }

  /** Forgets a run whose files were removed already, or which another bridge now holds. */
  release(taskId: string): void {
    this.held.delete(taskId);
  }

  /**
   * Removes one run's files now and resolves once they are gone (the agent answers requests in order, so a probe
   * sent after the removal replies after it). Used before a failed try is stored, so a retry starts clean.
   */
  async cleanNow(pool: MachinePool, taskId: string): Promise<void> {
    this.held.delete(taskId);
    // A live connection only: opening one to a machine that just failed could take a whole connect timeout.
    const agent = pool.anyAgent();
    if (!agent) return;
    agent.clean([taskId]);
    await agent.probe(taskId);
    agent.forget(taskId);
  }

  /** Sends every machine's pending removals now (the bridge is stopping). */
  flush(): void {
    for (const pool of [...this.due.keys()]) this.flushOne(pool);
  }

  private flushOne(pool: MachinePool): void {
    const batch = this.due.get(pool);
    if (!batch) return;
    clearTimeout(batch.timer);
    this.due.delete(pool);
    const agent = pool.anyAgent();
    if (!agent) {
      this.logger.warn({ machine: pool.target.label, runs: batch.ids.size }, 'no connection to remove finished runs');
      return;
    }
    const list = [...batch.ids];
    try {
      for (let i = 0; i < list.length; i += BATCH) agent.clean(list.slice(i, i + BATCH), { background: true });
      for (const id of list) agent.forget(id);
    } catch (error) {
      this.logger.warn({ machine: pool.target.label, err: (error as Error).message }, 'could not remove runs');
    }
  }
}
