// A team's vault secret key lives only on the machines that run its bridges: $RDC_HOME/keys/TEAM.key,
// mode 0600 in a 0700 directory. Never in Redis.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export function teamKeyPath(home: string, team: string): string {
  return join(home, 'keys', `${team}.key`);
}

export async function writeTeamKey(home: string, team: string, secretKey: string): Promise<string> {
  const dir = join(home, 'keys');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const path = teamKeyPath(home, team);
  await writeFile(path, `${secretKey}\n`, { mode: 0o600, flag: 'w' });
  return path;
}
