// Remote agents per machine, each on its own pooled SSH connection and reused across tasks. An agent holds a
// bounded number of runs; past that the pool starts another (up to a limit) or makes the caller wait.
// A machine that cannot be reached fails fast for a short while instead of making every queued task wait out
// its own connect timeout, so one dead machine never holds the bridge's slots.
import { createHash } from 'node:crypto';
import { isRdcError, type RdcError } from '@rediacc/core';
import { type ConnectionOptions, SshConnection, type SshTarget } from '../ssh/index.js';
import { RemoteAgent } from './remote-agent.js';

export interface PoolOptions extends ConnectionOptions {
  maxConnectionsPerMachine: number;
  /** Runs one agent (one connection) holds at once. */
  runsPerConnection: number;
  /** After a failed connect, further tasks for that machine fail at once for this long. */
  failFastMs: number;
  /** Told of every connection this pool opens or fails to open, with the failure (metrics, machine status). */
  onConnection?: (target: SshTarget, ok: boolean, error?: unknown) => void;
}

class MachinePool {
  private readonly agents: RemoteAgent[] = [];
  private opening: Promise<RemoteAgent> | undefined;
  private readonly waiters: (() => void)[] = [];
  private lastFailure: { error: RdcError; at: number } | undefined;
  private closed = false;

  constructor(
    readonly target: SshTarget,
    private readonly options: PoolOptions,
  ) {}

  /** An agent with room for one more run; release it when the run is over. */
  async acquire(): Promise<RemoteAgent> {
    for (;;) {
      if (this.closed) throw new Error(`SSH pool for ${this.target.label} is closed`);
      const free = this.leastLoaded();
      if (free) {
        free.inFlight++;
        return free;
      }
      if (this.opening) {
        await this.opening.catch(() => {});
        continue;
      }
      if (this.agents.length < this.options.maxConnectionsPerMachine) {
        const recent = this.lastFailure;
        if (recent && Date.now() - recent.at < this.options.failFastMs) throw recent.error;
        const agent = await this.open();
        agent.inFlight++;
        return agent;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  release(agent: RemoteAgent): void {
    agent.inFlight--;
    this.wakeOne();
  }

  /** Any live agent of this machine without taking a slot, for housekeeping (cleaning run files). */
  anyAgent(): RemoteAgent | undefined {
    return this.agents.find((a) => a.alive);
  }

  close(): void {
    this.closed = true;
    for (const agent of this.agents.splice(0)) agent.close();
    for (const wake of this.waiters.splice(0)) wake();
  }

  private leastLoaded(): RemoteAgent | undefined {
    let best: RemoteAgent | undefined;
    for (const a of this.agents) {
      if (a.alive && a.inFlight < this.options.runsPerConnection && (!best || a.inFlight < best.inFlight)) best = a;
    }
    return best;
  }

  private async open(): Promise<RemoteAgent> {
    this.opening = (async () => {
      const connection = await SshConnection.open(this.target, this.options);
      try {
        return await RemoteAgent.start(connection, this.target.label, this.options.connectTimeoutMs);
      } catch (error) {
        connection.close();
        throw error;
      }
    })();
    try {
      const agent = await this.opening;
      this.options.onConnection?.(this.target, true);
      this.lastFailure = undefined;
      this.agents.push(agent);
      agent.onClose(() => {
        const i = this.agents.indexOf(agent);
        if (i >= 0) this.agents.splice(i, 1);
        this.wakeOne();
      });
      return agent;
    } catch (error) {
      this.options.onConnection?.(this.target, false, error);
      if (isRdcError(error)) this.lastFailure = { error, at: Date.now() };
      // Waiters retry and get the same fast failure instead of waiting forever.
      for (const wake of this.waiters.splice(0)) wake();
      throw error;
    } finally {
      this.opening = undefined;
    }
  }

  private wakeOne(): void {
    this.waiters.shift()?.();
  }
}

export class SshPool {
  private readonly machines = new Map<string, MachinePool>();
  /** Per target label, the last key seen and its hash: a task's lookup hashes the key only when it changed. */
  private readonly keyIds = new Map<string, { privateKey: Buffer | string; id: string }>();
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  /** A pool for the target; a changed address, user, key (rotated) or fingerprint (re-pinned) gets a fresh pool. */
  machine(target: SshTarget): MachinePool {
    const keyId = this.keyIdOf(target);
    const key = [target.label, target.user, target.host, target.port, keyId, target.hostKeyFingerprint].join('|');
    let pool = this.machines.get(key);
    if (!pool) {
      if (this.closed) throw new Error('SSH pool is closed');
      pool = new MachinePool(target, this.options);
      this.machines.set(key, pool);
    }
    return pool;
  }

  private keyIdOf(target: SshTarget): string {
    const known = this.keyIds.get(target.label);
    if (known && (known.privateKey === target.privateKey || sameKey(known.privateKey, target.privateKey))) {
      return known.id;
    }
    const id = createHash('sha256').update(target.privateKey).digest('base64');
    this.keyIds.set(target.label, { privateKey: target.privateKey, id });
    return id;
  }

  /** The machines this pool holds a live connection to now, each with one of its agents. */
  connected(): { target: SshTarget; agent: RemoteAgent }[] {
    return [...this.machines.values()].flatMap((pool) => {
      const agent = pool.anyAgent();
      return agent ? [{ target: pool.target, agent }] : [];
    });
  }

  close(): void {
    this.closed = true;
    for (const pool of this.machines.values()) pool.close();
    this.machines.clear();
  }
}

export type { MachinePool };

function sameKey(a: Buffer | string, b: Buffer | string): boolean {
  return typeof a !== 'string' && typeof b !== 'string' && a.equals(b);
}
