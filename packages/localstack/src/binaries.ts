// Finds the system programs localstack runs. sshd must be started by absolute path (it re-executes itself
// for every connection), and /usr/sbin is often missing from a non-root PATH, so both are searched.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { RdcError } from '@rediacc/core';

export interface Program {
  /** File name looked up in the search path. */
  readonly name: string;
  /** The Debian package that installs it, for the install hint. */
  readonly aptPackage: string;
}

export const REDIS_SERVER: Program = { name: 'redis-server', aptPackage: 'redis-server' };
export const SSHD: Program = { name: 'sshd', aptPackage: 'openssh-server' };
export const SSH_KEYGEN: Program = { name: 'ssh-keygen', aptPackage: 'openssh-client' };

const EXTRA_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];

const found = new Map<string, Promise<string>>();

/** Absolute path of the program; throws RDC_MISSING_DEPENDENCY with an install hint when absent. */
export function findProgram(program: Program): Promise<string> {
  let path = found.get(program.name);
  if (!path) {
    path = locateProgram(program, searchDirs(process.env.PATH));
    // A failed look-up is not cached: the user may install the program and call again.
    path.catch(() => found.delete(program.name));
    found.set(program.name, path);
  }
  return path;
}

export function searchDirs(pathVariable: string | undefined): string[] {
  const fromPath = (pathVariable ?? '').split(delimiter).filter((dir) => isAbsolute(dir));
  return [...new Set([...fromPath, ...EXTRA_DIRS])];
}

export async function locateProgram(program: Program, dirs: readonly string[]): Promise<string> {
  for (const dir of dirs) {
    const candidate = join(dir, program.name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory (or not executable): keep looking.
    }
  }
  throw new RdcError('RDC_MISSING_DEPENDENCY', `${program.name} is not installed: ${installHint(program)}`);
}

function installHint(program: Program): string {
  const isRoot = process.getuid?.() === 0;
  return isRoot
    ? `as root run \`apt-get install -y ${program.aptPackage}\``
    : `install the ${program.aptPackage} package (e.g. \`sudo apt-get install -y ${program.aptPackage}\`) or add its directory to PATH`;
}
