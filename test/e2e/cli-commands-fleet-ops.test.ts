// Many tasks at once, schedules, archive and retention through the real `rediacc` binary, as one table of cases
// (cli-table/fleet-ops-cases.ts): exit codes, parsed --json output, each bad input's error and fix.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { machineAddArgs, runCli } from '../harness/cli-run.js';
import { useHarness } from '../harness/index.js';
import { fleetOpsCases } from './cli-table/fleet-ops-cases.js';
import { type CaseContext, runStep, STEP_TIMEOUT_MS } from './cli-table/table.js';

const h = useHarness();
let ctx: CaseContext;

const line = (spec: Record<string, unknown>) => JSON.stringify({ team: 'Ops', machine: 'o1', ...spec });

beforeAll(async () => {
  const redis = await h.redis();
  const home = await h.tempDir('rdc-home-');
  const dir = await h.tempDir('cli-files-');
  const env = { ...process.env, REDIS_URL: redis.url, RDC_HOME: home, RDC_LOG_LEVEL: 'warn' };
  const machine = await h.machine();
  ctx = { env, machine, dir, home, saved: {} };
  for (const [args, stdin] of [
    [['team', 'create', 'Ops']],
    [machineAddArgs(machine, 'Ops', 'o1')],
    [['vault', 'set', 'API', '--team', 'Ops', '--stdin'], 'api-value'],
  ] as const) {
    const run = await runCli(args, { env, ...(stdin !== undefined && { stdin }) });
    expect(run.code, run.stderr).toBe(0);
  }
  await writeFile(
    join(dir, 'good.jsonl'),
    [line({ command: 'echo a' }), line({ command: 'echo b', priority: 1 }), line({ command: 'echo c' })].join('\n'),
  );
  await writeFile(
    join(dir, 'bad.jsonl'),
    [
      line({ command: 'echo ok' }),
      line({ command: 'echo x', priority: 9 }),
      '',
      '{not json',
      line({ command: '' }),
    ].join('\n'),
  );
  const bridge = await startBridge(
    { redisUrl: redis.url, teams: ['Ops'], keysDir: join(home, 'keys'), name: 'ops-main' },
    { logger: createLogger({ name: 'test', level: 'silent' }) },
  );
  h.own(() => bridge.close());
});

describe('rediacc create tasks, schedule, archive and retention, table-driven', () => {
  fleetOpsCases.forEach((step, i) => {
    it(`step ${i + 1}: ${step.map((c) => c.name).join('; ')}`, () => runStep(step, ctx), STEP_TIMEOUT_MS);
  });
});
