// npm test and the bench only check for system programs; .ci/run installs every one they use. A new program
// the tests or the bench need, left out of .ci/run's list, fails here rather than in a clean clone's CI.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');
const peersPath: string = new URL('../bench/peers.mjs', import.meta.url).href;
const { PEER_PACKAGES } = (await import(peersPath)) as {
  PEER_PACKAGES: Record<string, { program: string; apt: string }>;
};

/** The Debian packages .ci/run installs: its `packages=(…)` line. */
function ciPackages(script: string): string[] {
  return (/^packages=\(([^)]*)\)/m.exec(script)?.[1] ?? '').split(/\s+/).filter(Boolean);
}

/** The packages localstack names in its install hints (`aptPackage: '…'`): the harness's programs. */
function aptPackagesInSources(): string[] {
  const binaries = read('packages/localstack/src/binaries.ts');
  return [...binaries.matchAll(/aptPackage: '([^']+)'/g)].map((m) => m[1] ?? '');
}

describe('system packages', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

  it('npm test and npm run bench only check for them, never install', () => {
    for (const name of ['test', 'bench']) {
      expect(scripts[name]).toContain('scripts/setup.mjs --check-system');
      expect(scripts[name]).not.toMatch(/\s--system\b|apt-get|apt install/);
    }
  });

  it(".ci/run installs the harness's programs, the agent check's and every bench peer's", () => {
    const installed = ciPackages(read('.ci/run'));
    const needed = [...aptPackagesInSources(), 'shellcheck', ...Object.values(PEER_PACKAGES).map((p) => p.apt)];
    expect(needed).toEqual(expect.arrayContaining(['redis-server', 'openssh-server', 'pssh', 'ansible']));
    expect(needed.filter((pkg) => !installed.includes(pkg))).toEqual([]);
  });

  it('the check sees a package left out of .ci/run', () => {
    const script = read('.ci/run').replace(/^packages=\((.*) pssh (.*)\)$/m, 'packages=($1 $2)');
    expect(ciPackages(script)).not.toContain('pssh');
    expect(ciPackages(read('.ci/run'))).toContain('pssh');
  });
});
