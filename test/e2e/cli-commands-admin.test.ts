// Teams, machines, the vault, ACL users, the audit log and console tokens through the real `rediacc` binary, as
// one table of cases (cli-table/admin-cases.ts): exit codes, parsed --json output, each bad input's error and fix.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, it } from 'vitest';
import { useHarness } from '../harness/index.js';
import { adminCases } from './cli-table/admin-cases.js';
import { type CaseContext, runStep, STEP_TIMEOUT_MS } from './cli-table/table.js';

const h = useHarness();
let ctx: CaseContext;

beforeAll(async () => {
  const redis = await h.redis();
  const home = await h.tempDir('rdc-home-');
  const dir = await h.tempDir('cli-files-');
  await writeFile(join(dir, 'secret.txt'), 's3cret-value\n');
  ctx = {
    env: { ...process.env, REDIS_URL: redis.url, RDC_HOME: home, RDC_LOG_LEVEL: 'warn' },
    machine: await h.machine(),
    dir,
    home,
    saved: {},
  };
});

describe('rediacc admin commands, table-driven', () => {
  adminCases.forEach((step, i) => {
    it(`step ${i + 1}: ${step.map((c) => c.name).join('; ')}`, () => runStep(step, ctx), STEP_TIMEOUT_MS);
  });
});
