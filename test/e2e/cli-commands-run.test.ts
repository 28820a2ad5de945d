// Tasks, bridges and the commands that serve until a signal through the real `rediacc` binary, as tables of cases
// (cli-table/task-cases.ts, server-cases.ts): exit codes, parsed --json output, each bad input's error and fix.
import { join } from 'node:path';
import { startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { machineAddArgs, runCli } from '../harness/cli-run.js';
import { useHarness } from '../harness/index.js';
import { serverCases } from './cli-table/server-cases.js';
import { type CaseContext, runStep, STEP_TIMEOUT_MS } from './cli-table/table.js';
import { taskCases } from './cli-table/task-cases.js';

const h = useHarness();
let ctx: CaseContext;

beforeAll(async () => {
  const redis = await h.redis();
  const home = await h.tempDir('rdc-home-');
  const env = { ...process.env, REDIS_URL: redis.url, RDC_HOME: home, RDC_LOG_LEVEL: 'warn' };
  const machine = await h.machine();
  ctx = { env, machine, dir: await h.tempDir('cli-files-'), home, saved: {} };
  // The team, machine and secret every task case uses, and a bridge serving them.
  for (const [args, stdin] of [
    [['team', 'create', 'Run']],
    [machineAddArgs(machine, 'Run', 'r1')],
    [['vault', 'set', 'API', '--team', 'Run', '--stdin'], 'api-value'],
  ] as const) {
    const run = await runCli(args, { env, ...(stdin !== undefined && { stdin }) });
    expect(run.code, run.stderr).toBe(0);
  }
  const bridge = await startBridge(
    { redisUrl: redis.url, teams: ['Run'], keysDir: join(home, 'keys'), name: 'tbl-main' },
    { logger: createLogger({ name: 'test', level: 'silent' }) },
  );
  h.own(() => bridge.close());
});

describe('rediacc task and bridge commands, table-driven', () => {
  taskCases.forEach((step, i) => {
    it(`step ${i + 1}: ${step.map((c) => c.name).join('; ')}`, () => runStep(step, ctx), STEP_TIMEOUT_MS);
  });
});

describe('rediacc up and dashboard start, table-driven', () => {
  serverCases.forEach((step, i) => {
    it(`step ${i + 1}: ${step.map((c) => c.name).join('; ')}`, () => runStep(step, ctx), STEP_TIMEOUT_MS);
  });
});
