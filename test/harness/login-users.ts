// Local login users for machine tests that need someone other than the test runner: a non-root user whose login
// shell is dash, a user whose startup files print text. Made with useradd, so only when the tests run as root.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface LoginUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Why login users cannot be made here, or undefined when they can. */
export function loginUsersUnavailable(): string | undefined {
  if (process.getuid?.() !== 0)
    return 'needs root to create login users with useradd (run the tests as root, as .ci/run does)';
  if (spawnSync('useradd', ['--help']).error) return 'needs useradd (package passwd) to create login users';
  return undefined;
}

/**
 * Makes (or updates) `name` with `shell` as its login shell, able to log in by key (its password is `*`, not the
 * locked `!` sshd refuses without PAM), and writes `files` (paths relative to its home) as that user.
 */
export function loginUser(name: string, shell: string, files: Record<string, string> = {}): LoginUser {
  const why = loginUsersUnavailable();
  if (why) throw new Error(why);
  if (spawnSync('id', ['-u', name]).status !== 0) execFileSync('useradd', ['-m', '-s', shell, name]);
  execFileSync('usermod', ['-s', shell, '-p', '*', name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  const home = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(':')[5] ?? `/home/${name}`;
  for (const [path, text] of Object.entries(files)) {
    const file = join(home, path);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    chownSync(dirname(file), uid, gid);
    writeFileSync(file, text, { mode: 0o644 });
    chownSync(file, uid, gid);
  }
  return { name, uid, gid, home };
}
