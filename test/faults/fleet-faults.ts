// Set-up shared by the fault tests: a team with one machine, bridge configs with short locks so a dead bridge's
// tasks move on within seconds, and the machine-side view of a run (this host is the machine).
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { BridgeConfigInput } from '@rediacc/bridge';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { addTeamWithMachine, type Harness, type TestMachine } from '../harness/index.js';
import { descendants, signalProcess, signalTarget } from '../harness/signals.js';

export { alive, descendants } from '../harness/signals.js';

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

/** Where the agent keeps runs of this user on this host (see packages/bridge/src/agent/script.ts). */
export function runDir(): string {
  const base = process.getuid?.() === 0 ? '/dev/shm' : '/tmp';
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return `${base}/rdc-${userInfo().username}/${boot}`;
}

export function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

/**
 * Freezes (SIGSTOP) or thaws (SIGCONT) a whole machine: its sshd, every session, agent and command below it.
 * Throws when the sshd is not running (no pid): `pid ?? 0` would have frozen the test runner's process group.
 */
export function freezeMachine(sshdPid: number | undefined, signal: 'SIGSTOP' | 'SIGCONT'): void {
  const sshd = signalTarget(sshdPid, "the machine's sshd");
  for (const pid of [sshd, ...descendants(sshd, "the machine's sshd")]) {
    signalProcess(pid, signal, `a process of the machine (below sshd ${sshd})`);
  }
}
