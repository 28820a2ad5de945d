// Machine tags, fan-out batches and pool tasks through the real `rediacc` binary, as a table of cases
// (cli-table/fanout-cases.ts), with a bridge serving team Fan.
import { join } from 'node:path';
import { startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli-run.js';
import { useHarness } from '../harness/index.js';
import { F, fanoutCases } from './cli-table/fanout-cases.js';
import { type CaseContext, runStep, STEP_TIMEOUT_MS } from './cli-table/table.js';

const h = useHarness();
let ctx: CaseContext;

beforeAll(async () => {
  const redis = await h.redis();
  const home = await h.tempDir('rdc-home-');
  const env = { ...process.env, REDIS_URL: redis.url, RDC_HOME: home, RDC_LOG_LEVEL: 'warn' };
  const machine = await h.machine();
  ctx = { env, machine, dir: await h.tempDir('cli-files-'), home, saved: {} };
  const run = await runCli(['team', 'create', F], { env });
  expect(run.code, run.stderr).toBe(0);
  const bridge = await startBridge(
    { redisUrl: redis.url, teams: [F], keysDir: join(home, 'keys'), name: 'tbl-fan' },
    { logger: createLogger({ name: 'test', level: 'silent' }) },
  );
  h.own(() => bridge.close());
});

describe('rediacc machine tags, batches and pools, table-driven', () => {
  fanoutCases.forEach((step, i) => {
    it(`step ${i + 1}: ${step.map((c) => c.name).join('; ')}`, () => runStep(step, ctx), STEP_TIMEOUT_MS);
  });
});
