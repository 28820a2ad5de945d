// The CLI's version for `rediacc --version`: the version field of its package.json, read at run time so there is
// one source (dist/ and src/ both sit one level below the package's root).
import { readFileSync } from 'node:fs';

export function cliVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const version = (manifest as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error('packages/cli/package.json has no version field');
  return version;
}
