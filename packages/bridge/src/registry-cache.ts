// The bridge's short-lived copies of registry reads on the task path (machine records, machine keys opened from the
// vault). An entry serves for ttlMs from when its load began, as a plain TTL cache would; once past half of that, a
// read still gets it at once and the entry is reloaded in the background, so a steady stream of tasks on a machine
// never waits for the reload (two round trips and a vault open, about a millisecond of CPU that blocks every other
// task's progress). Nothing older than ttlMs is ever served: past it, the read waits for a load, and a failed
// background reload leaves the entry to expire, so the next read after that fails as the load does.

interface Entry<V> {
  value: V;
  /** What the value was loaded for (e.g. the machine record a key was opened for); another tag is a miss. */
  tag: string;
  loadedAt: number;
  refreshing?: Promise<void>;
}

export class RefreshingCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly ttlMs: number,
    /** A background reload failed (the entry stays until it expires). */
    private readonly onRefreshError: (key: string, error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string, tag: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    const at = this.now();
    if (hit && hit.tag === tag && at - hit.loadedAt < this.ttlMs) {
      if (at - hit.loadedAt >= this.ttlMs / 2 && !hit.refreshing) {
        hit.refreshing = this.load(key, tag, load).then(
          () => {},
          (error: unknown) => {
            hit.refreshing = undefined;
            this.onRefreshError(key, error);
          },
        );
      }
      return hit.value;
    }
    return this.load(key, tag, load);
  }

  private async load(key: string, tag: string, load: () => Promise<V>): Promise<V> {
    const loadedAt = this.now();
    const value = await load();
    if (this.ttlMs > 0) this.entries.set(key, { value, tag, loadedAt });
    return value;
  }
}
