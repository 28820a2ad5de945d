// `rediacc bridge start --metrics-port P` serves the bridge's Prometheus metrics on loopback, and a bad port is
// refused before the bridge starts.
import { type ChildProcess, spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, type CliRun, machineAddArgs, runCli } from '../harness/cli-run.js';
import { metricNames, parseProm, sampleValue, useHarness, waitFor } from '../harness/index.js';

const h = useHarness();
let env: NodeJS.ProcessEnv;

function rediacc(args: string[]): Promise<CliRun> {
  return runCli(args, { env });
}

beforeAll(async () => {
  const redis = await h.redis();
  const machine = await h.machine();
  env = { ...process.env, REDIS_URL: redis.url, RDC_HOME: await h.tempDir('rdc-home-'), RDC_LOG_LEVEL: 'info' };
  delete env.RDC_ACTOR;
  expect((await rediacc(['team', 'create', 'Obs'])).code).toBe(0);
  const add = await rediacc(machineAddArgs(machine, 'Obs', 'obs-01'));
  expect(add.code, add.stderr).toBe(0);
});

describe('bridge start --metrics-port', () => {
  it('serves /metrics on 127.0.0.1 and logs its URL', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [CLI_BIN, 'bridge', 'start', '--team', 'Obs', '--metrics-port', '0', '--grace', '1'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    h.own(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    let log = '';
    child.stdout?.on('data', (d) => {
      log += d;
    });
    child.stderr?.on('data', (d) => {
      log += d;
    });
    const url = await waitFor('the metrics URL in the log', () => /http:\/\/127\.0\.0\.1:\d+\/metrics/.exec(log)?.[0]);
    const text = await (await fetch(url)).text();
    const names = metricNames(text);
    expect(names.has('rediacc_tasks_finished_total')).toBe(true);
    expect(names.has('rediacc_task_queue_wait_seconds')).toBe(true);
    expect(sampleValue(parseProm(text), 'rediacc_bridge_slots', { team: 'Obs', lane: 'normal', state: 'free' })).toBe(
      10,
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses a port out of range', async () => {
    const run = await rediacc(['bridge', 'start', '--team', 'Obs', '--metrics-port', '70000']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--metrics-port');
  });
});
