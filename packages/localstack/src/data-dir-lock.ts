// A data directory belongs to one server at a time: a second redis-server on the same directory rewrites the
// first one's AOF and deletes its pid file when it stops. The pid file of a live server of the same program
// says the directory is taken; a pid file left by a dead one (kill -9, a crash) is stale and ignored. sshd
// directories are guarded the same way.
import { readFile } from 'node:fs/promises';
import { isProcessAlive, RdcError } from '@rediacc/core';
import { readPidFile } from './managed-process.js';

/** Throws RDC_STACK_IN_USE when `pidPath` names a running `program`. */
export async function assertDirFree(dir: string, pidPath: string, program: string): Promise<void> {
  const pid = await readPidFile(pidPath);
  if (pid === undefined || pid === process.pid || !(await runsProgram(pid, program))) return;
  throw new RdcError(
    'RDC_STACK_IN_USE',
    `${program} (pid ${pid}) still runs on the data directory ${dir}; a second server there would corrupt it`,
  );
}

async function runsProgram(pid: number, program: string): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  try {
    // Linux: a recycled pid that now belongs to another program does not count.
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim().startsWith(program.slice(0, 15));
  } catch {
    return true;
  }
}
