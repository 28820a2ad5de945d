// The bridge's version for its heartbeat: the version field of its package.json, read at run time so there is one
// source (dist/ and src/ both sit one level below the package's root). Read once: it cannot change while running.
import { readFileSync } from 'node:fs';

let version: string | undefined;

export function bridgeVersion(): string {
  if (version !== undefined) return version;
  const manifest: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const field = (manifest as { version?: unknown }).version;
  if (typeof field !== 'string') throw new Error('packages/bridge/package.json has no version field');
  version = field;
  return version;
}
