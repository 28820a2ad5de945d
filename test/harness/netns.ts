// Machines as real hosts: an sshd in its own network namespace, joined to this one by a veth pair with its own
// address, so a test can cut its link the way a network fails (root only: `netnsUnavailable` says why not).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Harness, TestMachine } from './harness.js';

const run = promisify(execFile);

export interface IsolatedMachine {
  machine: TestMachine;
  /** The namespace's name (`ip netns list`). */
  netns: string;
  /** Takes the machine's side of the link down: packets to and from it are lost, nothing is refused. */
  cut(): Promise<void>;
  /** Brings the link back up. */
  restore(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args, { timeout: 10_000 });
}

/** Why network namespaces cannot be used here, or undefined when they can (a probe namespace is made and removed). */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  const probe = `rdc-probe-${process.pid}`;
  try {
    await ip('netns', 'add', probe);
  } catch (error) {
    return `\`ip netns add\` failed: ${(error as Error).message.trim()}`;
  }
  await ip('netns', 'del', probe);
  return undefined;
}

/**
 * An sshd in namespace `rdc-PID-INDEX`, reachable at 10.2xx.INDEX.2 through a veth pair (10.2xx.INDEX.1 on this
 * side). The harness removes the pair and the namespace at close, after the sshd has stopped, even when the test
 * failed half-way through setting them up.
 */
export async function isolatedMachine(h: Harness, index: number): Promise<IsolatedMachine> {
  const netns = `rdc-${process.pid}-${index}`;
  // veth names are at most 15 characters.
  const hostSide = `rv${process.pid % 1_000_000}-${index}h`;
  const nsSide = `rv${process.pid % 1_000_000}-${index}n`;
  const subnet = `10.${200 + (process.pid % 50)}.${index}`;
  h.own(async () => {
    // Runs the stopped sshd left behind (a command still going when its link was cut) would keep the namespace.
    const pids = await run('ip', ['netns', 'pids', netns]).then(
      ({ stdout }) => stdout.split('\n').filter(Boolean).map(Number),
      () => [],
    );
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await ip('link', 'del', hostSide).catch(() => {}); // gone with the namespace already, or never made
    await ip('netns', 'del', netns).catch(() => {});
  });
  await ip('netns', 'add', netns);
  await ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide, 'netns', netns);
  await ip('addr', 'add', `${subnet}.1/30`, 'dev', hostSide);
  await ip('link', 'set', hostSide, 'up');
  await ip('-n', netns, 'addr', 'add', `${subnet}.2/30`, 'dev', nsSide);
  await ip('-n', netns, 'link', 'set', nsSide, 'up');
  await ip('-n', netns, 'link', 'set', 'lo', 'up');
  // The namespace is new: port 22 is free there (a free port could only be looked for in this namespace).
  const machine = await h.machine({ host: `${subnet}.2`, port: 22, execVia: ['ip', 'netns', 'exec', netns] });
  return {
    machine,
    netns,
    cut: () => ip('-n', netns, 'link', 'set', nsSide, 'down'),
    restore: () => ip('-n', netns, 'link', 'set', nsSide, 'up'),
  };
}
