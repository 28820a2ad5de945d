// What a bridge knows of its teams' machines, cached for registryTtlMs: each machine's record and its SSH key,
// opened from the team's vault. Both are read together, in one round trip (getMachineWithKey): a cold bridge's
// first task on a machine waits for one read before it connects, not two in a row.
import type { MachineRecord, VaultRecord } from '@rediacc/core';
import { getMachineWithKey } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import type { BridgeConfig } from '../config.js';
import { type HeldMachineKey, type MachineKey, reloadMachineKey } from '../ssh/index.js';

export interface MachineRegistry {
  machine(team: string, name: string): Promise<MachineRecord>;
  /** The machine's SSH private key, opened from the vault (cached briefly). */
  machineKey(machine: MachineRecord): Promise<MachineKey>;
}

export function machineRegistry(
  redis: Redis,
  config: Pick<BridgeConfig, 'registryTtlMs'>,
  teamKeys: ReadonlyMap<string, string>,
): MachineRegistry {
  /** By `team/name`: the record, and the key's vault entry as read with it (until the key cache has taken it). */
  const machines = new Map<
    string,
    { record: MachineRecord; expires: number; sshKey?: { sshKey: VaultRecord | undefined } }
  >();
  const keys = new Map<string, { machine: MachineRecord; record: string; held: HeldMachineKey; expires: number }>();
  return {
    async machine(team, name) {
      const id = `${team}/${name}`;
      const hit = machines.get(id);
      if (hit && hit.expires > Date.now()) return hit.record;
      const { machine, sshKey } = await getMachineWithKey(redis, team, name);
      machines.set(id, { record: machine, expires: Date.now() + config.registryTtlMs, sshKey: { sshKey } });
      return machine;
    },
    /**
     * A changed record (re-added, rotated key) is loaded afresh, and past registryTtlMs the vault entry is read again
     * (with the record, when that was read again too) but opened again only if it changed.
     */
    async machineKey(machine) {
      const id = `${machine.team}/${machine.name}`;
      const hit = keys.get(id);
      // The machine cache hands out the same record until it reads the machine again: compared by its text only then.
      const sameRecord = hit !== undefined && (hit.machine === machine || hit.record === JSON.stringify(machine));
      if (hit && sameRecord && hit.expires > Date.now()) return hit.held.key;
      // The entry read together with this very record, used once: a later reload reads the vault itself.
      const read = machines.get(id);
      const sshKey = read?.record === machine ? read.sshKey : undefined;
      if (read) delete read.sshKey;
      const teamKey = teamKeys.get(machine.team);
      const held = await reloadMachineKey(redis, machine, teamKey, sameRecord ? hit?.held : undefined, sshKey);
      keys.set(id, { machine, record: JSON.stringify(machine), held, expires: Date.now() + config.registryTtlMs });
      return held.key;
    },
  };
}
