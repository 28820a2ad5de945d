// What the cost rows read: a bridge or the raw worker in a process of its own with the counters.mjs preload,
// the Redis server's `INFO commandstats`, and the CPU time of each machine's sshd process tree from /proc.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, until } from './stats.mjs';

const COUNTERS = new URL('./counters.mjs', import.meta.url).pathname;
const BRIDGE_MAIN = new URL('../harness/bridge-main.mjs', import.meta.url).pathname;
const RAW_MAIN = new URL('./raw-stack-main.mjs', import.meta.url).pathname;

/** The machines as raw-stack-main.mjs takes them (no sshd handle). */
export function plainMachines(fleet) {
  return fleet.machines.map(({ name, host, port, user, privateKeyPath }) => ({
    name,
    host,
    port,
    user,
    privateKeyPath,
  }));
}

/**
 * A bridge process (bridge-main.mjs, `config` as `bridge start` takes it) with the counters preload; `nodeArgs`
 * such as --cpu-prof, `env` such as RDC_BENCH_TRACE=1.
 */
export function countedBridge(fleet, config, { nodeArgs = [], env = {} } = {}) {
  const full = { redisUrl: fleet.redis.url, keysDir: fleet.keysDir, ...config };
  return countedProcess(fleet, config.name, [...nodeArgs, BRIDGE_MAIN, JSON.stringify(full)], env);
}

/** The raw BullMQ Worker + pooled ssh2 process (raw-stack-main.mjs) with the counters preload. */
export function countedRaw(fleet, { name, concurrency = 10 }) {
  const args = { redisUrl: fleet.redis.url, machines: plainMachines(fleet), name, concurrency };
  return countedProcess(fleet, name, [RAW_MAIN, JSON.stringify(args)]);
}

async function countedProcess(fleet, name, args, env = {}) {
  const file = join(fleet.dir, `counters-${name}.json`);
  const logPath = join(fleet.dir, `counted-${name}.log`);
  const fd = openSync(logPath, 'a');
  const child = spawn(process.execPath, ['--import', COUNTERS, ...args], {
    stdio: ['ignore', 'pipe', fd],
    env: { ...process.env, RDC_LOG_LEVEL: 'warn', RDC_BENCH_COUNTERS: file, ...env },
  });
  closeSync(fd);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  fleet.owner.own(kill);
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      if (out.includes('ready\n')) resolve();
    });
    exited.then((code) => reject(new Error(`${name} exited (${code}) before ready; see ${logPath}`)));
  });
  return {
    pid: child.pid,
    /** The counters so far (counters.mjs writes them on SIGUSR2). */
    async counters() {
      rmSync(file, { force: true });
      child.kill('SIGUSR2');
      return until(`${name} to write its counters`, () => (existsSync(file) ? readJson(file) : undefined), 10_000, 5);
    },
    /** SIGTERM (a clean close, which writes a --cpu-prof profile), SIGKILL after `graceMs`. */
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = sleep(graceMs).then(() => 'timeout');
      if ((await Promise.race([exited, timer])) === 'timeout') await kill();
    },
  };
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // written but not complete yet
  }
}

/** The difference of two counters snapshots, with the CPU time in ms. */
export function countersDelta(after, before) {
  const diff = (a, b) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]));
  return {
    redis: diff(after.redis, before.redis),
    redisRoundTrips: after.redisRoundTrips - before.redisRoundTrips,
    redisBlocking: after.redisBlocking - before.redisBlocking,
    ssh: diff(after.ssh, before.ssh),
    sftp: diff(after.sftp, before.sftp),
    sshBytes: diff(after.sshBytes, before.sshBytes),
    cpuMs: (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000,
  };
}

/** `INFO commandstats` as { command: calls } (commands run inside scripts included, as Redis counts them). */
export async function commandStats(redis) {
  const out = {};
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/**
 * CPU ms (user+system, and that of reaped children: 10 ms ticks) of every process under the given roots, from
 * /proc. Under a machine's sshd are its connections' processes, the agent shell and the runs it reaps.
 */
export function treeCpuMs(rootPids) {
  const children = new Map();
  const ticks = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(entry);
    const ppid = Number(fields[1]);
    ticks.set(pid, Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]));
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(pid);
  }
  let total = 0;
  const stack = [...rootPids];
  while (stack.length) {
    const pid = stack.pop();
    total += ticks.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total * 10;
}
