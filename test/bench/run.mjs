#!/usr/bin/env node
// npm run bench [-- --quick] [-- --only enqueue,one-machine] [-- --reps N]
// Starts its own redis-server and ten sshd machines, runs each scenario (ours and its baseline interleaved,
// after a warm-up, several times), prints a table and writes test/bench/results/latest.json ({runs, rows}: each row
// names the run that measured it, each run its date, scope, environment and method), then renders BENCHMARKS.md
// and README's bench block from it (render.mjs). --only a,b: a partial rerun; its rows replace those scenarios'
// rows and get a section of their own. --report: render again from latest.json, running nothing.
// --quick: tiny sizes, results to a temporary directory (never the committed files); exits non-zero only when a
// scenario crashed, never on a timing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet } from './fleet.mjs';
import { preparePeers } from './peers.mjs';
import { checkResults, mergeRun, renderBenchmarks, renderReadmeBlock, spliceReadme } from './render.mjs';
import { crashRow, printTable, writeJson } from './report.mjs';
import * as backlog from './scenarios/backlog.mjs';
import * as consoleScenario from './scenarios/console.mjs';
import * as cost from './scenarios/cost.mjs';
import * as crash from './scenarios/crash.mjs';
import * as enqueue from './scenarios/enqueue.mjs';
import * as footprint from './scenarios/footprint.mjs';
import * as latency from './scenarios/latency.mjs';
import * as oneMachine from './scenarios/one-machine.mjs';
import * as p1Load from './scenarios/p1-load.mjs';
import * as scale from './scenarios/scale.mjs';
import * as tenMachines from './scenarios/ten-machines.mjs';

const SCENARIOS = [
  enqueue,
  oneMachine,
  tenMachines,
  latency,
  p1Load,
  backlog,
  footprint,
  crash,
  consoleScenario,
  cost,
  scale,
];

const FULL = {
  enqueue: 20_000,
  oneMachine: 2_000,
  tenMachines: 500,
  ansibleCommands: 100,
  ansibleReps: 1,
  latencySamples: 200,
  p1Backlog: 50_000,
  p1Samples: 50,
  backlog: 1_000_000,
  backlogBase: 1_000,
  footprintTasks: 20_000,
  rssTasks: 100,
  cpuTasks: 2_000,
  crashTrials: 10,
  crashDefaultTrials: 10,
  consoleBacklog: 100_000,
  consoleBase: 1_000,
  consoleSseSamples: 100,
  consoleIdleMs: 20_000,
  costTasks: 1_000,
  scaleTasks: 1_000,
  scaleWarm: 50,
  cliRuns: 3,
  scaleBridges: [1, 2, 4],
  scaleMachines: 10_000,
  scaleBase: 100,
  routeSamples: 20,
  scaleSshd: 100,
  scaleIdleMs: 30_000,
  scaleBusyTasks: 2_000,
  clusterTasks: 1_000,
};
const QUICK = {
  enqueue: 500,
  oneMachine: 200,
  tenMachines: 30,
  ansibleCommands: 10,
  ansibleReps: 1,
  latencySamples: 20,
  p1Backlog: 1_000,
  p1Samples: 10,
  backlog: 10_000,
  backlogBase: 1_000,
  footprintTasks: 2_000,
  rssTasks: 100,
  cpuTasks: 200,
  crashTrials: 2,
  crashDefaultTrials: 0,
  consoleBacklog: 1_000,
  consoleBase: 100,
  consoleSseSamples: 10,
  consoleIdleMs: 3_000,
  costTasks: 100,
  scaleTasks: 40,
  scaleWarm: 10,
  cliRuns: 1,
  scaleBridges: [1, 2],
  scaleMachines: 1_000,
  scaleBase: 100,
  routeSamples: 3,
  scaleSshd: 10,
  scaleIdleMs: 1_500,
  scaleBusyTasks: 50,
  clusterTasks: 20,
};

const ROOT = new URL('../..', import.meta.url).pathname;

function parseArgs(argv) {
  const args = { quick: false, only: null, reps: null, out: null, report: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--only') args.only = argv[++i].split(',');
    else if (a === '--reps') args.reps = Number(argv[++i]);
    else if (a === '--out') args.out = argv[++i];
    else if (a === '--report') args.report = true;
    else {
      console.error(`bench: unknown argument ${a} (use --quick, --only a,b, --reps N, --out DIR, --report)`);
      process.exit(2);
    }
  }
  return args;
}

function version(cmd, args, pick = (s) => s.split('\n')[0].trim()) {
  // Some tools print their version on stderr (ssh -V), some on stdout.
  const result = spawnSync(cmd, args, { encoding: 'utf8' });
  const text = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  return result.error || !text ? 'not installed' : pick(text);
}

function pkgVersion(name) {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

function environment(peers) {
  return {
    node: process.version,
    redis: version('redis-server', ['--version']),
    openssh: version('ssh', ['-V']),
    bullmq: pkgVersion('bullmq'),
    ssh2: pkgVersion('ssh2'),
    ansible: peers.ansible ? version('ansible', ['--version']) : 'not installed (its rows say skipped)',
    pssh: peers.pssh
      ? `parallel-ssh ${version('parallel-ssh', ['--version'])}`
      : 'not installed (its rows say skipped)',
    cores: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]) / 1024 / 1024)} GiB`,
    kernel: version('uname', ['-sr']),
  };
}

/** BENCHMARKS.md inside the repository is checked by `biome check .` like any file: write it formatted. */
function formatMarkdown(path) {
  if (!path.startsWith(ROOT)) return;
  const result = spawnSync(join(ROOT, 'node_modules/.bin/biome'), ['format', '--write', path], { encoding: 'utf8' });
  if (result.status !== 0) console.error(`bench: biome format ${path} failed: ${result.stderr || result.stdout}`);
}

const FINDINGS = join(ROOT, 'test/bench/findings.md');
const README = join(ROOT, 'README.md');

/** BENCHMARKS.md from the results; README's block too when they are the committed ones. */
function render(results, mdPath, jsonPath) {
  writeFileSync(mdPath, renderBenchmarks(results, readFileSync(FINDINGS, 'utf8')));
  formatMarkdown(mdPath);
  const written = [mdPath];
  if (mdPath === join(ROOT, 'BENCHMARKS.md')) {
    writeFileSync(README, spliceReadme(readFileSync(README, 'utf8'), renderReadmeBlock(results)));
    written.push(README);
  }
  console.log(`wrote ${written.join(' and ')} from ${jsonPath}`);
}

/** The results so far, which a partial rerun keeps: checked before anything runs, so a bad file costs no run. */
function stored(jsonPath) {
  if (!existsSync(jsonPath)) return { runs: [], rows: [] };
  try {
    return checkResults(JSON.parse(readFileSync(jsonPath, 'utf8')));
  } catch (error) {
    console.error(`bench: --only keeps the other rows of ${jsonPath}, but cannot read them: ${error.message}`);
    console.error('bench: run the full bench (no --only), or move that file away');
    process.exit(2);
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const sizes = args.quick ? QUICK : FULL;
  const reps = args.reps ?? (args.quick ? 1 : 3);
  const outDir = args.out ?? (args.quick ? join(tmpdir(), 'rediacc-bench-quick') : null);
  const jsonPath = outDir ? join(outDir, 'latest.json') : join(ROOT, 'test/bench/results/latest.json');
  const mdPath = outDir ? join(outDir, 'BENCHMARKS.md') : join(ROOT, 'BENCHMARKS.md');
  if (args.report) {
    // Renders BENCHMARKS.md (and README's block) from the stored results, without running anything.
    render(JSON.parse(readFileSync(jsonPath, 'utf8')), mdPath, jsonPath);
    return;
  }
  const unknown = (args.only ?? []).filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length) {
    console.error(`bench: no scenario ${unknown.join(', ')} (scenarios: ${SCENARIOS.map((s) => s.id).join(', ')})`);
    process.exit(2);
  }
  const previous = args.only ? stored(jsonPath) : { runs: [], rows: [] };
  const started = Date.now();
  const date = new Date(started).toISOString();
  const log = (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);
  const chosen = SCENARIOS.filter((s) => !args.only || args.only.includes(s.id));
  log(`bench ${args.quick ? 'quick' : 'full'}: ${chosen.map((s) => s.id).join(', ')}; ${reps} rep(s)`);
  const fleet = await startFleet({ machines: 10 });
  const rows = [];
  let crashed = 0;
  let peers = { ansible: false, pssh: false };
  try {
    peers = await preparePeers(fleet, { quick: args.quick, log });
    log(
      `fleet up: redis ${fleet.redis.url.replace(/\/\/[^@]*@/, '//')}, machines ${fleet.machines.map((m) => `${m.host}:${m.port}`).join(' ')}`,
    );
    for (const scenario of chosen) {
      log(`— ${scenario.title}`);
      const t0 = Date.now();
      try {
        const got = await scenario.run({ fleet, sizes, reps, log, peers, quick: args.quick });
        rows.push(...got);
        printTable(got);
      } catch (error) {
        crashed++;
        console.error(`bench: scenario ${scenario.id} crashed:`, error);
        rows.push(crashRow(scenario.id, error));
      }
      log(`${scenario.id} took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    await peers.close?.();
    await fleet.close();
  }
  const runtimeS = (Date.now() - started) / 1000;
  printTable(rows);
  const run = {
    id: date,
    date,
    scope: args.only ? 'partial' : 'full',
    scenarios: chosen.map((s) => s.id),
    quick: args.quick,
    reps,
    runtimeS: Math.round(runtimeS),
    env: environment(peers),
    methods: Object.fromEntries(chosen.map((s) => [s.id, { title: s.title, describe: s.describe }])),
  };
  const results = mergeRun(
    previous,
    run,
    rows,
    SCENARIOS.map((s) => s.id),
  );
  await writeJson(jsonPath, results);
  render(results, mdPath, jsonPath);
  log(`wrote ${jsonPath} (${runtimeS.toFixed(0)} s)`);
  if (crashed > 0) {
    console.error(`bench: ${crashed} scenario(s) crashed`);
    process.exitCode = 1;
  }
}

await main();
