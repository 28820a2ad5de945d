// Set-up shared by the fault tests: a team with one machine, bridge configs with short locks so a dead bridge's
// tasks move on within seconds, and the machine-side view of a run (this host is the machine).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { BridgeConfigInput } from '@rediacc/bridge';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { addTeamWithMachine, type Harness, type TestMachine } from '../harness/index.js';

export interface Fleet {
  client: RediaccClient;
  team: string;
  machine: TestMachine;
  redisUrl: string;
  /** Holds TEAM.key of the fleet's team (bridge processes get keysDir: keys never go on a command line). */
  keysDir: string;
}

let teams = 0;

export async function fleet(h: Harness, redisUrl?: string): Promise<Fleet> {
  const url = redisUrl ?? (await h.redis()).url;
  const machine = await h.machine();
  const client = createClient({ redis: url });
  h.own(() => client.close());
  const team = `f${process.pid}-${++teams}`;
  const keysDir = await h.tempDir('team-keys');
  const keys = await addTeamWithMachine(client, team, machine);
  await writeFile(join(keysDir, `${team}.key`), `${keys[team]}\n`, { mode: 0o600 });
  return { client, team, machine, redisUrl: url, keysDir };
}

/** A bridge config whose locks expire after 2 s and are checked every second. */
export function faultBridge(f: Fleet, name: string, extra: Partial<BridgeConfigInput> = {}) {
  return {
    redisUrl: f.redisUrl,
    teams: [f.team],
    keysDir: f.keysDir,
    name,
    batchSize: 4,
    lockDurationMs: 2_000,
    stalledIntervalMs: 1_000,
    pollMs: 100,
    cancelCheckMs: 500,
    ...extra,
  } satisfies BridgeConfigInput & { name: string };
}

/** Where the agent keeps runs of this user on this host (see agent-script.ts). */
export function runDir(): string {
  const base = process.getuid?.() === 0 ? '/dev/shm' : '/tmp';
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return `${base}/rdc-${userInfo().username}/${boot}`;
}

export function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process below `root` (by parent pid, read from /proc). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces or parentheses, so read after the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

/** Freezes (SIGSTOP) or thaws (SIGCONT) a whole machine: its sshd, every session, agent and command below it. */
export function freezeMachine(sshdPid: number, signal: 'SIGSTOP' | 'SIGCONT'): void {
  for (const pid of [sshdPid, ...descendants(sshdPid)]) {
    try {
      process.kill(pid, signal);
    } catch {
      // ended meanwhile
    }
  }
}
