// A team's vault as the SDK exposes it: values are sealed to the team's public key here, on the client, so Redis
// (and anyone reading it) holds ciphertext only. Listing shows names; nothing in the SDK ever opens a value.
import {
  parseInput,
  RdcError,
  seal,
  secretNameSchema,
  secretValueSchema,
  type TeamRecord,
  teamNameSchema,
  type VaultEntryInfo,
  vaultEntryNameSchema,
} from '@rediacc/core';
import { deleteVaultEntry, getTeam, listVaultEntries, putVaultEntry } from '@rediacc/queue';
import type { Redis } from 'ioredis';

export class Vault {
  constructor(private readonly redis: Redis) {}

  /** Stores (or replaces) secret `name` of `team`: a command gets it with `secrets: ['NAME']`. */
  async set(team: string, name: string, value: string): Promise<VaultEntryInfo> {
    parseInput(teamNameSchema, team, 'team name');
    parseInput(secretNameSchema, name, 'secret name');
    parseInput(secretValueSchema, value, `value of secret ${name}`);
    const record = await getTeam(this.redis, team);
    const updatedAt = Date.now();
    await putVaultEntry(this.redis, team, name, {
      kind: 'secret',
      sealed: seal(value, teamPublicKey(record)),
      updatedAt,
    });
    return { name, kind: 'secret', updatedAt };
  }

  /** Entry names and kinds (secrets and machines' SSH keys), never values. */
  async list(team: string): Promise<VaultEntryInfo[]> {
    await getTeam(this.redis, team);
    return listVaultEntries(this.redis, team);
  }

  /** Removes secret `name`; tasks that still ask for it fail with RDC_VAULT_UNKNOWN. */
  async delete(team: string, name: string): Promise<void> {
    parseInput(teamNameSchema, team, 'team name');
    parseInput(vaultEntryNameSchema, name, 'vault entry name');
    await getTeam(this.redis, team);
    if (!secretNameSchema.safeParse(name).success) {
      throw new RdcError(
        'RDC_INVALID_INPUT',
        `vault entry "${name}" is a machine's SSH key: it goes with \`rediacc machine remove\`, not vault delete`,
      );
    }
    if (!(await deleteVaultEntry(this.redis, team, name))) {
      throw new RdcError('RDC_VAULT_UNKNOWN', `team "${team}" has no vault entry "${name}"`);
    }
  }
}

/** The team's public key, which every vault value is sealed to. */
export function teamPublicKey(team: TeamRecord): string {
  if (!team.publicKey) {
    throw new RdcError(
      'RDC_TEAM_UNKNOWN',
      `team "${team.name}" has no vault key, so nothing can be sealed for it; recreate the team with \`rediacc team create\``,
    );
  }
  return team.publicKey;
}
