// Pooled SSH connections per machine, reused across tasks. Each connection carries a bounded number of
// channels; past that the pool opens another connection (up to a limit) or makes the caller wait.
// A machine that cannot be reached fails fast for a short while instead of making every queued task
// wait out its own connect timeout, so one dead machine never holds the bridge's slots.
import { isRdcError, type RdcError } from '@rediacc/core';
import { type ConnectionOptions, SshConnection, type SshTarget } from './ssh-connection.js';

export interface PoolOptions extends ConnectionOptions {
  maxConnectionsPerMachine: number;
  /** After a failed connect, further tasks for that machine fail at once for this long. */
  failFastMs: number;
}

class MachinePool {
  private readonly connections: SshConnection[] = [];
  private opening: Promise<SshConnection> | undefined;
  private readonly waiters: (() => void)[] = [];
  private lastFailure: { error: RdcError; at: number } | undefined;

  constructor(
    private readonly target: SshTarget,
    private readonly options: PoolOptions,
  ) {}

  async acquire(): Promise<SshConnection> {
    for (;;) {
      const free = this.leastLoaded();
      if (free) {
        free.inFlight++;
        return free;
      }
      if (this.opening) {
        await this.opening.catch(() => {});
        continue;
      }
      if (this.connections.length < this.options.maxConnectionsPerMachine) {
        const recent = this.lastFailure;
        if (recent && Date.now() - recent.at < this.options.failFastMs) throw recent.error;
        const connection = await this.open();
        connection.inFlight++;
        return connection;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  release(connection: SshConnection): void {
    connection.inFlight--;
    this.wakeOne();
  }

  /** The server refused a channel: this connection holds no more than it has now. */
  refused(connection: SshConnection): void {
    connection.capacity = Math.max(1, connection.inFlight - 1);
  }

  close(): void {
    for (const connection of this.connections.splice(0)) connection.close();
    for (const wake of this.waiters.splice(0)) wake();
  }

  private leastLoaded(): SshConnection | undefined {
    let best: SshConnection | undefined;
    for (const c of this.connections) {
      if (c.alive && c.inFlight < c.capacity && (!best || c.inFlight < best.inFlight)) best = c;
    }
    return best;
  }

  private async open(): Promise<SshConnection> {
    this.opening = SshConnection.open(this.target, this.options);
    try {
      const connection = await this.opening;
      this.lastFailure = undefined;
      this.connections.push(connection);
      connection.onClose(() => {
        const i = this.connections.indexOf(connection);
        if (i >= 0) this.connections.splice(i, 1);
        this.wakeOne();
      });
      return connection;
    } catch (error) {
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
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  /** A pool for the target; a changed address, user, key or fingerprint gets a fresh pool. */
  machine(target: SshTarget): MachinePool {
    const key = [target.label, target.user, target.host, target.port, target.keyFile, target.hostKeyFingerprint].join(
      '|',
    );
    let pool = this.machines.get(key);
    if (!pool) {
      if (this.closed) throw new Error('SSH pool is closed');
      pool = new MachinePool(target, this.options);
      this.machines.set(key, pool);
    }
    return pool;
  }

  close(): void {
    this.closed = true;
    for (const pool of this.machines.values()) pool.close();
    this.machines.clear();
  }
}

export type { MachinePool };
