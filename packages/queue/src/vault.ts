// A team's vault in Redis: one hash per team (rdc:{team}:vault), entry name → sealed record. Sealing and opening
// happen elsewhere (producers seal, bridges open); this module only stores ciphertext and validates records.
import {
  parseInput,
  RdcError,
  registryKeys,
  teamNameSchema,
  type VaultEntryInfo,
  type VaultRecord,
  vaultEntryNameSchema,
  vaultRecordSchema,
} from '@rediacc/core';
import type { Redis } from 'ioredis';

export async function putVaultEntry(redis: Redis, team: string, name: string, record: VaultRecord): Promise<void> {
  parseInput(teamNameSchema, team, 'team name');
  parseInput(vaultEntryNameSchema, name, 'vault entry name');
  const valid = parseInput(vaultRecordSchema, record, 'vault record');
  await redis.hset(registryKeys.vault(team), name, JSON.stringify(valid));
}

/** Names, kinds and times of every entry, sorted by name. */
export async function listVaultEntries(redis: Redis, team: string): Promise<VaultEntryInfo[]> {
  parseInput(teamNameSchema, team, 'team name');
  const all = await redis.hgetall(registryKeys.vault(team));
  return Object.entries(all)
    .map(([name, json]) => {
      const record = vaultRecordOf(team, name, json);
      return { name, kind: record.kind, updatedAt: record.updatedAt };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The records of `names`, in order; a missing entry is undefined. */
export async function getVaultEntries(
  redis: Redis,
  team: string,
  names: readonly string[],
): Promise<(VaultRecord | undefined)[]> {
  if (names.length === 0) return [];
  const values = await redis.hmget(registryKeys.vault(team), ...names);
  return values.map((json, i) => (json === null ? undefined : vaultRecordOf(team, names[i] ?? '', json)));
}

/** The names among `names` the vault does not hold (cheap: no values are opened). */
export async function missingVaultEntries(redis: Redis, team: string, names: readonly string[]): Promise<string[]> {
  const unique = [...new Set(names)];
  if (unique.length === 0) return [];
  const replies = await redis.multi(unique.map((name) => ['hexists', registryKeys.vault(team), name])).exec();
  return unique.filter((_, i) => replies?.[i]?.[1] !== 1);
}

export async function deleteVaultEntry(redis: Redis, team: string, name: string): Promise<boolean> {
  parseInput(teamNameSchema, team, 'team name');
  parseInput(vaultEntryNameSchema, name, 'vault entry name');
  return (await redis.hdel(registryKeys.vault(team), name)) === 1;
}

/** A vault entry's stored text as its record; RDC_JOB_DATA_INVALID when it is not one. */
export function vaultRecordOf(team: string, name: string, json: string): VaultRecord {
  const parsed = vaultRecordSchema.safeParse(safeJson(json));
  if (!parsed.success) {
    throw new RdcError('RDC_JOB_DATA_INVALID', `vault entry "${name}" of team "${team}" is not a rediacc vault record`);
  }
  return parsed.data;
}

function safeJson(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
