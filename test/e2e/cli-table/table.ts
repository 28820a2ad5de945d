// The CLI as a table of cases: each case is one `rediacc …` run through the real binary (spawned), with the exit
// code it must end with, checks on its parsed --json output, and for a bad input the error code and a message
// that says how to fix it. Steps run one after another; the cases of one step are independent and run at once.
// `uncovered` lists every command and option of the commander program that no case drives: the guard test fails
// on any, so a new flag without a case fails the suite.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Command } from 'commander';
import { expect } from 'vitest';
import { CLI_BIN, type CliRun, runCli } from '../../harness/cli-run.js';
import type { TestMachine } from '../../harness/index.js';

export interface CaseContext {
  env: NodeJS.ProcessEnv;
  machine: TestMachine;
  /** A directory for files the cases read (key files, secret values). */
  dir: string;
  /** $RDC_HOME of the runs. */
  home: string;
  /** Values saved by earlier cases (task ids, token ids). */
  saved: Record<string, string>;
}

export interface CliCase {
  name: string;
  args: (ctx: CaseContext) => string[];
  /** Expected exit code. */
  code: number;
  /** A bad input: the RDC_* code bin.ts prints with its fix, or 'usage' for a flag commander rejects. */
  error?: string;
  /** What the error message must say (what is wrong and how to fix it). */
  message?: RegExp;
  /** Checks on the --json output (parsed; one value per line when `jsonLines`). */
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON of many shapes, checked by the case itself
  json?: (value: any, ctx: CaseContext) => void;
  jsonLines?: boolean;
  stdout?: RegExp;
  stderr?: RegExp;
  stdin?: string;
  env?: (ctx: CaseContext) => NodeJS.ProcessEnv;
  /** Keeps a value of this run for later cases. */
  save?: (run: CliRun, ctx: CaseContext) => void;
  /** A command that runs until a signal: SIGTERM once stdout+stderr match this, then the exit code is checked. */
  until?: RegExp;
  /** Runs before the command is spawned (for example a task the case follows). */
  before?: (ctx: CaseContext) => Promise<void>;
  timeoutMs?: number;
}

/** Steps in order; the cases of one step run at the same time. */
export type CaseTable = CliCase[][];

/** At most this many CLI processes at once: each is a Node start-up, and the box has 2 cores. */
const AT_ONCE = 3;

/** Runs the cases of one step, a few at a time (they are independent of each other). */
export async function runStep(step: CliCase[], ctx: CaseContext): Promise<void> {
  const queue = [...step];
  const worker = async () => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) await runCase(c, ctx);
  };
  await Promise.all(Array.from({ length: AT_ONCE }, worker));
}

/** Test timeout of one step: a dozen spawned runs on a loaded 2-core box. */
export const STEP_TIMEOUT_MS = 300_000;

export async function runCase(c: CliCase, ctx: CaseContext): Promise<void> {
  await c.before?.(ctx);
  const args = c.args(ctx);
  const env = c.env?.(ctx) ?? ctx.env;
  const timeoutMs = c.timeoutMs ?? 60_000;
  const run = c.until
    ? await runUntil(args, env, c.until, timeoutMs)
    : await runCli(args, { env, ...(c.stdin !== undefined && { stdin: c.stdin }), timeoutMs });
  const what = `${c.name}: rediacc ${args.join(' ')}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
  expect(run.code, what).toBe(c.code);
  if (c.error === 'usage') {
    // commander's one line names the flag or argument and what it accepts, then points at --help.
    expect(run.stderr, what).toMatch(/^error: .+\n/);
    expect(run.stderr, what).toContain('(run with --help for usage)');
  } else if (c.error !== undefined) {
    expect(run.stderr, what).toMatch(new RegExp(`error ${c.error}: .+\\n  fix: \\S.+`));
  }
  if (c.message) expect(run.stderr, what).toMatch(c.message);
  if (c.stdout) expect(run.stdout, what).toMatch(c.stdout);
  if (c.stderr) expect(run.stderr, what).toMatch(c.stderr);
  if (c.json) {
    const value = c.jsonLines
      ? run.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : JSON.parse(run.stdout);
    c.json(value, ctx);
  }
  c.save?.(run, ctx);
}

/** Spawns the CLI, waits until its output matches `ready`, sends SIGTERM and resolves once it exited. */
function runUntil(args: string[], env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const check = () => {
      if (!signalled && ready.test(stdout + stderr)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout?.on('data', (d) => {
      stdout += d;
      check();
    });
    child.stderr?.on('data', (d) => {
      stderr += d;
      check();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rediacc ${args.join(' ')} never printed ${ready}; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every command path ("machine add") and every option of it ("machine add --team") the program has. */
export function commandSurface(program: Command): string[] {
  const out: string[] = [];
  const walk = (command: Command, path: string[]) => {
    for (const sub of command.commands) {
      const name = [...path, sub.name()];
      out.push(name.join(' '));
      for (const option of sub.options) out.push(`${name.join(' ')} ${option.long ?? option.short}`);
      walk(sub, name);
    }
  };
  walk(program, []);
  return out;
}

/** What one run drives: its command path (the leading words that name commands) and each option it passes. */
export function drivenBy(program: Command, args: readonly string[]): string[] {
  let command = program;
  const path: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const sub = command.commands.find((c) => c.name() === args[i]);
    if (!sub) break;
    command = sub;
    path.push(args[i]!);
  }
  if (path.length === 0) return [];
  // "machine add" drives the group "machine" too.
  const driven = path.map((_, n) => path.slice(0, n + 1).join(' '));
  for (const arg of args.slice(i)) {
    const flag = arg.split('=')[0]!;
    const option = command.options.find((o) => o.long === flag || o.short === flag);
    if (option) driven.push(`${path.join(' ')} ${option.long ?? option.short}`);
  }
  return driven;
}

/** The commands and options of `program` that no case of `tables` drives (args built from a stand-in context). */
export function uncovered(program: Command, tables: readonly CaseTable[]): string[] {
  const ctx = standInContext();
  const driven = new Set(tables.flat(2).flatMap((c) => drivenBy(program, c.args(ctx))));
  return commandSurface(program).filter((entry) => !driven.has(entry));
}

function standInContext(): CaseContext {
  const machine = {
    sshd: { dir: '/sshd' },
    host: '127.0.0.1',
    port: 22,
    user: 'u',
    privateKeyPath: '/k',
    hostKeyFingerprint: 'SHA256:x',
  } as unknown as TestMachine;
  const saved = new Proxy({}, { get: () => '00000000-0000-4000-8000-000000000000' }) as Record<string, string>;
  return { env: {}, machine, dir: '/tmp', home: '/tmp', saved };
}
