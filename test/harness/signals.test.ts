// The guards on test signals trip before anything is signalled: a missing pid (`pid ?? 0`), init, a negative
// number, the test runner or its process group; a process the test started is still frozen, thawed and killed.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freezeMachine } from '../faults/fleet-faults.js';
import { alive, descendants, signalGroup, signalProcess, signalTarget } from './signals.js';
import { waitFor } from './wait-for.js';

function state(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
}

const ownGroup = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[2]);

describe('test signal guards', () => {
  it.each([undefined, 0, 1, -1, -process.pid, Number.NaN, 2.5])('refuse pid %s', (pid) => {
    expect(() => signalTarget(pid, 'the sshd')).toThrow(/refusing to signal the sshd: pid .* is not a process/);
    expect(() => signalProcess(pid, 'SIGSTOP', 'the sshd')).toThrow(/refusing/);
    expect(() => signalGroup(pid, 'SIGSTOP', 'the sshd')).toThrow(/refusing/);
    expect(() => alive(pid)).toThrow(/cannot tell whether/);
    expect(() => descendants(pid)).toThrow(/refusing/);
  });

  it('refuse the test runner and its parent', () => {
    expect(() => signalProcess(process.pid, 'SIGSTOP', 'x')).toThrow(/the test runner or one of its ancestors/);
    expect(() => signalProcess(process.ppid, 'SIGSTOP', 'x')).toThrow(/the test runner or one of its ancestors/);
  });

  it("refuse the runner's process group", () => {
    expect(ownGroup).toBeGreaterThan(1);
    expect(() => signalGroup(ownGroup, 'SIGSTOP', 'x')).toThrow(/refusing/);
  });

  it('freezeMachine of a machine whose sshd is not running throws instead of freezing the runner', () => {
    expect(() => freezeMachine(undefined, 'SIGSTOP')).toThrow(/refusing to signal the machine's sshd: pid undefined/);
    expect(() => freezeMachine(0, 'SIGSTOP')).toThrow(/refusing/);
  });

  it('freezeMachine freezes and thaws a process tree the test started', async () => {
    const child = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    const tree: number[] = [];
    try {
      const root = signalTarget(child.pid, 'the tree');
      for (let i = 0; i < 100 && descendants(root).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      const [sleeper] = descendants(root);
      tree.push(...descendants(root));
      expect(sleeper).toBeGreaterThan(1);
      freezeMachine(root, 'SIGSTOP');
      // Signals are delivered asynchronously: on a busy box /proc shows the stop a moment later.
      const states = () => [state(root), state(sleeper as number)].join();
      await waitFor('the tree to stop', () => (states() === 'T,T' ? true : undefined), 5_000);
      expect(states()).toBe('T,T');
      freezeMachine(root, 'SIGCONT');
      await waitFor('the tree to run on', () => (state(root) !== 'T' ? true : undefined), 5_000);
      expect(alive(root)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      for (const pid of tree) signalProcess(pid, 'SIGKILL', 'the sleeper');
    }
  });
});
