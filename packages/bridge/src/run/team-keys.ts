// The vault secret keys of the teams a bridge serves, loaded and checked once at start: given in the config, or
// read from KEYS_DIR/TEAM.key (what `rediacc team create` writes). A key whose public half is not the team's
// public key in the registry is refused then, not at the first task that needs it. Keys stay in memory only.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { publicKeyOf, RdcError } from '@rediacc/core';
import { getTeam } from '@rediacc/queue';
import type { Redis } from 'ioredis';

export interface TeamKeySources {
  /** team → secret key (base64), e.g. from a secret store. Wins over the keys directory. */
  teamKeys?: Readonly<Record<string, string>> | undefined;
  /** Directory holding TEAM.key files. */
  keysDir?: string | undefined;
}

/** team → secret key (base64) of every team, each checked against the registry. */
export async function loadTeamKeys(
  redis: Redis,
  teams: readonly string[],
  sources: TeamKeySources,
): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (const team of teams) {
    const record = await getTeam(redis, team);
    const { secretKey, from } = await secretKeyOf(team, sources);
    if (!record.publicKey) {
      throw new RdcError('RDC_TEAM_KEY', `team "${team}" has no vault public key in the registry; recreate the team`);
    }
    let publicKey: string;
    try {
      publicKey = publicKeyOf(secretKey);
    } catch (error) {
      throw new RdcError('RDC_TEAM_KEY', `${from} is not a team vault key (32 bytes, base64)`, { cause: error });
    }
    if (publicKey !== record.publicKey) {
      throw new RdcError(
        'RDC_TEAM_KEY',
        `${from} is not the vault key of team "${team}": its public half does not match the team's public key in the registry`,
      );
    }
    keys.set(team, secretKey);
  }
  return keys;
}

/** Reads one team key file (first line, base64), as `team create` writes it. */
export async function readTeamKeyFile(path: string, team: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RdcError(
      'RDC_TEAM_KEY',
      code === 'ENOENT'
        ? `no vault key for team "${team}": ${path} does not exist`
        : `cannot read the vault key of team "${team}" from ${path}: ${code ?? String(error)}`,
      { cause: error },
    );
  }
}

async function secretKeyOf(team: string, sources: TeamKeySources): Promise<{ secretKey: string; from: string }> {
  const given = sources.teamKeys?.[team];
  if (given !== undefined) return { secretKey: given.trim(), from: `the key given for team "${team}"` };
  if (!sources.keysDir) {
    throw new RdcError('RDC_TEAM_KEY', `no vault key for team "${team}": give teamKeys or keysDir`);
  }
  const path = join(sources.keysDir, `${team}.key`);
  return { secretKey: await readTeamKeyFile(path, team), from: path };
}
