// A team's vault secret key lives only on the machines that run its bridges: $RDC_HOME/keys/TEAM.key,
// mode 0600 in a 0700 directory. Never in Redis, and written once: an existing key file is never replaced
// (it may be the only copy of the key that opens a team's sealed data).
import { constants } from 'node:fs';
import { access, chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RdcError } from '@rediacc/core';

export function teamKeyPath(home: string, team: string): string {
  return join(home, 'keys', `${team}.key`);
}

/** Fails with RDC_KEY_FILE_EXISTS when the team already has a key file here: check before creating the team. */
export async function assertNoTeamKey(home: string, team: string): Promise<void> {
  const path = teamKeyPath(home, team);
  const exists = await access(path, constants.F_OK).then(
    () => true,
    () => false,
  );
  if (exists) throw new RdcError('RDC_KEY_FILE_EXISTS', `a vault key for team "${team}" already exists at ${path}`);
}

/**
 * For `rediacc up` only, whose demo team is re-created when Redis lost it: moves an existing key file of `team`
 * aside (TEAM.key.replaced-<ms>) instead of overwriting it, and returns where it went (undefined: there was none).
 */
export async function setAsideTeamKey(home: string, team: string): Promise<string | undefined> {
  const path = teamKeyPath(home, team);
  const aside = `${path}.replaced-${Date.now()}`;
  try {
    await rename(path, aside);
    return aside;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function writeTeamKey(home: string, team: string, secretKey: string): Promise<string> {
  const dir = join(home, 'keys');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const path = teamKeyPath(home, team);
  try {
    // 'wx': fail rather than replace, even if another process wrote it since the check.
    await writeFile(path, `${secretKey}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new RdcError('RDC_KEY_FILE_EXISTS', `a vault key for team "${team}" appeared at ${path} meanwhile`);
    }
    throw error;
  }
  return path;
}
