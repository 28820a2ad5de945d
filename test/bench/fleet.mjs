// The bench's fleet: one redis-server and ten sshd machines on distinct 127.0.42.x addresses (sshd with
// `SetEnv SHLVL=1`), one client key, started with @rediacc/localstack as test/harness does, and everything
// released in reverse order at close. Also the machine-side clock helper and bridges as separate processes.
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { generateKeyPair, startRedisServer, startSshd } from '@rediacc/localstack';
import { createClient } from '@rediacc/producer';

const run = promisify(execFile);
const BRIDGE_MAIN = new URL('../harness/bridge-main.mjs', import.meta.url).pathname;
export const silent = createLogger({ name: 'bench', level: 'silent' });

export class Owner {
  #releasers = [];
  own(release) {
    this.#releasers.push(release);
  }
  async close() {
    for (const release of this.#releasers.splice(0).reverse()) {
      try {
        await release();
      } catch (error) {
        console.error('bench: release failed:', error?.message ?? error);
      }
    }
  }
}

export async function startFleet({ machines = 10 } = {}) {
  const owner = new Owner();
  const dir = await mkdtemp(join(tmpdir(), 'rediacc-bench-'));
  owner.own(() => rm(dir, { recursive: true, force: true }));
  try {
    const redis = await startRedisServer({ dir: join(dir, 'redis') });
    owner.own(() => redis.stop());
    const key = await generateKeyPair(join(dir, 'keys'), 'id_ed25519');
    const list = await Promise.all(
      Array.from({ length: machines }, async (_, i) => {
        const sshd = await startSshd({
          dir: join(dir, `sshd-${i + 1}`),
          host: `127.0.42.${i + 1}`,
          authorizedKeys: [key.publicKey],
          setEnvShlvl: true,
        });
        owner.own(() => sshd.stop());
        return {
          name: `m${String(i + 1).padStart(2, '0')}`,
          sshd,
          host: sshd.host,
          port: sshd.port,
          user: sshd.user,
          privateKeyPath: key.privateKeyPath,
          hostKeyFingerprint: sshd.hostKeyFingerprint,
          hostPublicKey: readFileSync(sshd.hostPublicKeyPath, 'utf8').trim(),
        };
      }),
    );
    const clock = await buildClockHelper(dir);
    const client = createClient({ redis: redis.url });
    owner.own(() => client.close());
    // Bridges read each team's vault key from here, as `bridge start --keys-dir` does.
    const keysDir = join(dir, 'team-keys');
    await mkdir(keysDir, { recursive: true, mode: 0o700 });
    return { dir, keysDir, redis, machines: list, key, clock, client, owner, close: () => owner.close() };
  } catch (error) {
    await owner.close();
    throw error;
  }
}

/** Registers `team` with the given machines (default: all of them), pinned to their real host keys. */
export async function addTeam(fleet, team, machines = fleet.machines, client = fleet.client) {
  const { secretKey } = await client.teams.create(team);
  await writeFile(join(fleet.keysDir, `${team}.key`), `${secretKey}\n`, { mode: 0o600 });
  for (const m of machines) {
    await client.machines.add({
      name: m.name,
      team,
      host: m.host,
      port: m.port,
      user: m.user,
      keyFile: m.privateKeyPath,
      hostKeyFingerprint: m.hostKeyFingerprint,
    });
  }
}

/** An in-process bridge with logging off. */
export function inProcessBridge(fleet, config) {
  return startBridge({ redisUrl: fleet.redis.url, keysDir: fleet.keysDir, ...config }, { logger: silent });
}

/**
 * A bridge in its own process (test/harness/bridge-main.mjs), for crash trials and footprint: SIGKILL it, read its
 * /proc. Killed at close if still running.
 */
export async function bridgeProcess(fleet, config) {
  const logPath = join(fleet.dir, `bridge-${config.name}.log`);
  const fd = openSync(logPath, 'a');
  const child = spawn(
    process.execPath,
    [BRIDGE_MAIN, JSON.stringify({ redisUrl: fleet.redis.url, keysDir: fleet.keysDir, ...config })],
    {
      stdio: ['ignore', 'pipe', fd],
      env: { ...process.env, RDC_LOG_LEVEL: 'info' },
    },
  );
  closeSync(fd);
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  fleet.owner.own(kill);
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      if (out.includes('ready\n')) resolve();
    });
    exited.then((code) => reject(new Error(`bridge ${config.name} exited (${code}) before ready; see ${logPath}`)));
  });
  return { pid: child.pid, exited, kill, signal: (s) => child.kill(s), log: () => readFileSync(logPath, 'utf8') };
}

/**
 * `CLOCK ns-file LABEL` appends "LABEL <CLOCK_MONOTONIC ns>" to a file: one exec, the same clock as
 * process.hrtime in this process (the machines are this host). Compiled with cc, else a perl one-liner.
 */
async function buildClockHelper(dir) {
  const src = join(dir, 'mono.c');
  const bin = join(dir, 'mono');
  await writeFile(
    src,
    '#include <stdio.h>\n#include <time.h>\nint main(int c,char**v){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);' +
      'FILE*f=fopen(v[1],"a");if(!f)return 1;fprintf(f,"%s %lld\\n",c>2?v[2]:"-",(long long)t.tv_sec*1000000000LL+t.tv_nsec);' +
      'return fclose(f)!=0;}\n',
  );
  try {
    await run('cc', ['-O2', '-o', bin, src]);
    return { command: (file, label) => `${bin} ${file} ${label}`, kind: 'C helper (clock_gettime CLOCK_MONOTONIC)' };
  } catch {
    return {
      command: (file, label) =>
        `perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC -e 'open F,">>",$ARGV[0];printf F "%s %.0f\\n",$ARGV[1],clock_gettime(CLOCK_MONOTONIC)*1e9' ${file} ${label}`,
      kind: 'perl Time::HiRes CLOCK_MONOTONIC (no cc)',
    };
  }
}

/** Reads a clock file written by the helper: Map label → monotonic ms. */
export function readClockFile(path) {
  const out = new Map();
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const [label, ns] = line.split(' ');
    if (label && ns) out.set(label, Number(BigInt(ns)) / 1e6);
  }
  return out;
}

export async function scratchDir(fleet, name) {
  const dir = join(fleet.dir, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** used_memory from INFO memory, bytes. */
export async function usedMemory(redis) {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/** CPU time (user+system) of a process in ms, from /proc (10 ms ticks). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resident set size of a process in MiB (VmRSS). */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}
