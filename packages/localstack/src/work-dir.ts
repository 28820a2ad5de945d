// The directory a server keeps its config, keys, data and log in: the caller's (kept, so data and host keys
// survive a later start), or a fresh temporary one, removed again if the server never comes up.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function withWorkDir<T>(
  given: string | undefined,
  prefix: string,
  start: (dir: string) => Promise<T>,
): Promise<T> {
  if (given !== undefined) {
    await mkdir(given, { recursive: true, mode: 0o700 });
    return start(given);
  }
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await start(dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
