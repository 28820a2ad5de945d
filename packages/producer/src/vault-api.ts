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
import type { AuditTrail } from './audit-trail.js';

export class Vault {
  constructor(
    private readonly redis: Redis,
    private readonly audit: AuditTrail,
  ) {}

  /** Stores (or replaces) secret `name` of `team`: a command gets it with `secrets: ['NAME']`. */
  async set(team: string, name: string, value: string): Promise<VaultEntryInfo> {
    parseInput(teamNameSchema, team, 'team name');
    parseInput(secretNameSchema, name, 'secret name');
    parseInput(secretValueSchema, value, `value of secret ${name}`);
    const target = { team, action: 'vault.set', target: name } as const;
    const updatedAt = Date.now();
    await (async () => {
      const record = await getTeam(this.redis, team);
      await putVaultEntry(this.redis, team, name, {
        kind: 'secret',
        sealed: seal(value, teamPublicKey(record)),
        updatedAt,
      });
    })().catch(async (error: unknown) => {
      await this.audit.refused(error, target);
      throw error;
    });
    // The entry names the secret, never its value (nor its length).
    await this.audit.record([{ ...target, outcome: 'ok' }]);
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
    const target = { team, action: 'vault.delete', target: name } as const;
    const deleted = await deleteVaultEntry(this.redis, team, name).catch(async (error: unknown) => {
      await this.audit.refused(error, target);
      throw error;
    });
    if (!deleted) throw new RdcError('RDC_VAULT_UNKNOWN', `team "${team}" has no vault entry "${name}"`);
    await this.audit.record([{ ...target, outcome: 'ok' }]);
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
