// Short-lived cache of registry lookups on the create path: a create costs one Redis round trip
// (the add) instead of three. Only successful lookups are cached, so a new machine is usable at once;
// a removed machine may still take tasks for up to `ttlMs`, and the bridge then fails them clearly.
import type { MachineRecord, TeamRecord } from '@rediacc/core';
import { getMachine, getTeam } from '@rediacc/queue';
import type { Redis } from 'ioredis';

interface Entry<T> {
  /** The lookup, resolved: a hit hands out the same promise, so it costs no new one. */
  value: Promise<T>;
  expires: number;
}

export class RegistryCache {
  private readonly machines = new Map<string, Entry<MachineRecord>>();
  private readonly teams = new Map<string, Entry<TeamRecord>>();

  constructor(
    private readonly redis: Redis,
    private readonly ttlMs = 5_000,
  ) {}

  machine(team: string, name: string): Promise<MachineRecord> {
    return this.cached(this.machines, `${team}/${name}`, () => getMachine(this.redis, team, name));
  }

  team(name: string): Promise<TeamRecord> {
    return this.cached(this.teams, name, () => getTeam(this.redis, name));
  }

  private cached<T>(map: Map<string, Entry<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = map.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = load();
    value.then(
      () => map.set(key, { value, expires: now + this.ttlMs }),
      () => {}, // a failed lookup is the caller's to report, and is not cached
    );
    return value;
  }
}
