// The vault keys an engine that is not a bridge (the dashboard) can find: KEYS_DIR/TEAM.key, as `rediacc team
// create` writes it, checked against the team's public key in the registry. Unlike a bridge, which refuses to start
// without the key of every team it serves, a missing or wrong key only means this engine does not send that team's
// deliveries: it still evaluates rules and queues deliveries, which an engine holding the key (a bridge) sends.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Logger, publicKeyOf } from '@rediacc/core';
import { getTeam } from '@rediacc/queue';
import type { Redis } from 'ioredis';

/** team → secret key (base64) for each of `teams` whose key file in `dir` is present and matches the registry. */
export async function findTeamKeys(
  redis: Redis,
  teams: readonly string[],
  dir: string,
  logger: Logger,
): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (const team of teams) {
    const path = join(dir, `${team}.key`);
    const secretKey = await readFile(path, 'utf8').then(
      (text) => text.trim(),
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') logger.warn({ team, path, err: error.code }, 'cannot read the team vault key');
        return undefined;
      },
    );
    if (secretKey === undefined) continue;
    const publicKey = (await getTeam(redis, team)).publicKey;
    let matches = false;
    try {
      matches = publicKey !== undefined && publicKeyOf(secretKey) === publicKey;
    } catch {
      matches = false;
    }
    if (matches) keys.set(team, secretKey);
    else logger.warn({ team, path }, "the file is not the team's vault key (its public half does not match); ignored");
  }
  return keys;
}
