// A machine's SSH private key for the bridge: opened from the team's vault (ssh-key/NAME) with the team's secret
// key and kept in memory only, or, for records from before the vault, read from the key file they name.
import { readFile } from 'node:fs/promises';
import { type MachineRecord, open, RdcError, sshKeyEntry, type VaultRecord } from '@rediacc/core';
import { getVaultEntries } from '@rediacc/queue';
import type { Redis } from 'ioredis';

export interface MachineKey {
  privateKey: string | Buffer;
  /** For messages: where the key came from. */
  source: string;
}

export async function loadMachineKey(
  redis: Redis,
  machine: MachineRecord,
  teamKey: string | undefined,
): Promise<MachineKey> {
  return (await reloadMachineKey(redis, machine, teamKey, undefined)).key;
}

/** A key as the bridge holds it between loads: what it was opened from, to see whether it must be opened again. */
export interface HeldMachineKey {
  key: MachineKey;
  sealed?: string;
  teamKey?: string;
}

/**
 * loadMachineKey for a bridge that already holds the machine's key: the vault entry is read again (a rotation or
 * a re-add shows there), but opened again only when its sealed text or the team key changed. `read`: the entry as
 * read together with the machine's record (getMachineWithKey), so not read again here.
 */
export async function reloadMachineKey(
  redis: Redis,
  machine: MachineRecord,
  teamKey: string | undefined,
  held: HeldMachineKey | undefined,
  read?: { sshKey: VaultRecord | undefined },
): Promise<HeldMachineKey> {
  if (machine.keyFile !== undefined) {
    try {
      return { key: { privateKey: await readFile(machine.keyFile), source: `key file ${machine.keyFile}` } };
    } catch (error) {
      throw new RdcError(
        'RDC_KEY_FILE',
        `cannot read key file ${machine.keyFile} of machine ${machine.team}/${machine.name} (a record from before the vault: re-add the machine, or run \`rediacc machine rotate-key ${machine.name}\`, to move its key into the vault)`,
        { cause: error },
      );
    }
  }
  const entry = sshKeyEntry(machine.name);
  const record = read ? read.sshKey : (await getVaultEntries(redis, machine.team, [entry]))[0];
  if (record?.kind !== 'ssh-key') {
    throw new RdcError(
      'RDC_VAULT_UNKNOWN',
      `the SSH key of machine ${machine.team}/${machine.name} is not in the team's vault (${entry}); re-add the machine with --key-file`,
    );
  }
  if (teamKey === undefined) {
    throw new RdcError('RDC_TEAM_KEY', `this bridge holds no vault key for team "${machine.team}"`);
  }
  if (held?.sealed === record.sealed && held.teamKey === teamKey) return held;
  return {
    key: { privateKey: open(record.sealed, teamKey), source: `vault entry ${entry}` },
    sealed: record.sealed,
    teamKey,
  };
}
