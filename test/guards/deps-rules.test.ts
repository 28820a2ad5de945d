// `npm run deps` must be able to fail: in a copy of the packages' sources, plant one import each rule forbids and
// watch the check name every one of them; the same copy without the plants passes.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Each plant: a new file in a package, the import it makes, and the rule that must report it. A cycle is reported
 * once, from whichever of its files the cruise met first: `reportedAs` says which files may be named.
 */
interface Plant {
  file: string;
  source: string;
  rule?: string;
  reportedAs?: RegExp;
}

const plants: Plant[] = [
  { file: 'core/src/planted-queue.ts', source: "import '@rediacc/queue';", rule: 'core-is-pure' },
  { file: 'core/src/planted-bullmq.ts', source: "import type { Job } from 'bullmq';", rule: 'core-is-pure' },
  { file: 'core/src/planted-process.ts', source: "import 'node:child_process';", rule: 'core-no-io-builtins' },
  {
    file: 'queue/src/planted-cycle-a.ts',
    source: "import './planted-cycle-b.js';",
    rule: 'no-circular',
    reportedAs: /queue\/src\/planted-cycle-[ab]\.ts/,
  },
  { file: 'queue/src/planted-cycle-b.ts', source: "import './planted-cycle-a.js';" },
  { file: 'queue/src/planted-bridge.ts', source: "import '@rediacc/bridge';", rule: 'queue-only-core' },
  { file: 'alerts/src/planted-producer.ts', source: "import '@rediacc/producer';", rule: 'alerts-only-queue-and-core' },
  { file: 'producer/src/planted-ssh2.ts', source: "import 'ssh2';", rule: 'producer-no-ssh-no-bridge' },
  { file: 'bridge/src/planted-producer.ts', source: "import '@rediacc/producer';", rule: 'bridge-not-producer' },
  {
    file: 'bridge/src/planted-room.ts',
    source: "import './agent/pool.js';",
    rule: 'bridge-rooms-from-outside',
  },
  {
    file: 'bridge/src/run/planted-room.ts',
    source: "import '../ssh/connection.js';",
    rule: 'bridge-rooms-from-each-other',
  },
  { file: 'localstack/src/planted-queue.ts', source: "import '@rediacc/queue';", rule: 'localstack-only-core' },
  {
    file: 'producer/src/planted-cli.ts',
    source: "import '../../cli/src/program.js';",
    rule: 'nothing-imports-the-top',
  },
  {
    file: 'dashboard/src/planted-bridge.ts',
    source: "import '@rediacc/bridge';",
    rule: 'dashboard-no-ssh-no-bridge',
  },
  { file: 'cli/src/planted-queue.ts', source: "import '@rediacc/queue';", rule: 'cli-only-through-the-sdk' },
  {
    file: 'cli/src/planted-internal.ts',
    source: "import '../../queue/src/registry.js';",
    rule: 'only-through-the-entry',
  },
  { file: 'cli/src/planted-subpath.ts', source: "import '@rediacc/queue/dist/keys.js';", rule: 'no-unresolvable' },
];

let copy: string;

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'rdc-deps-'));
  for (const file of ['package.json', '.dependency-cruiser.cjs', 'tsconfig.base.json', 'tsconfig.depcruise.json']) {
    cpSync(join(root, file), join(copy, file));
  }
  for (const pkg of readdirSync(join(root, 'packages'))) {
    for (const part of ['src', 'package.json', 'tsconfig.json']) {
      cpSync(join(root, 'packages', pkg, part), join(copy, 'packages', pkg, part), { recursive: true });
    }
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
});

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

function deps(): { code: number | null; out: string } {
  const run = spawnSync('npm', ['run', '--silent', 'deps'], { cwd: copy, encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, out: `${run.stdout}${run.stderr}` };
}

describe('npm run deps', () => {
  it('passes on the sources as they are', () => {
    const { code, out } = deps();
    expect(out).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it('fails on each forbidden import, naming its rule and its file', () => {
    for (const plant of plants) writeFileSync(join(copy, 'packages', plant.file), `${plant.source}\n`);
    try {
      const { code, out } = deps();
      expect(code).not.toBe(0);
      for (const { file, source, rule, reportedAs } of plants) {
        if (!rule) continue;
        const from = reportedAs?.source ?? file.replaceAll('.', '\\.');
        expect(out, source).toMatch(new RegExp(`error ${rule}: packages/${from} `));
      }
    } finally {
      for (const plant of plants) rmSync(join(copy, 'packages', plant.file));
    }
  });
});
