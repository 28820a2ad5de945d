// The raw ssh2 baseline in a process of its own, so its RSS and CPU time can be read from /proc like a bridge's:
// node raw-ssh2-main.mjs '{"machines":[…],"mode":"hold"|"run","n":100,"command":"…","concurrency":10,"perMachine":2}'
// Prints "ready" once connected and warmed up, waits for a line on stdin, then "holding" (mode hold: every command
// has its channel) and "done".
import { createInterface } from 'node:readline';
import { rawPool, runAll } from './raw-ssh2.mjs';

const args = JSON.parse(process.argv[2]);
const pool = await rawPool(args.machines, { perMachine: args.perMachine ?? 1 });
const commands = Array.from({ length: args.n }, (_, i) => [i % args.machines.length, args.command]);
await runAll(
  pool,
  commands.slice(0, 20).map(([i]) => [i, 'true']),
  10,
);
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
await new Promise((resolve) => lines.once('line', resolve));
if (args.mode === 'hold') {
  // Each exec resolves at its end; the channels are all open once `n` commands have started on the machines.
  const all = Promise.all(commands.map(([i, command]) => pool.exec(i, command)));
  process.stdout.write('started\n');
  await all;
} else {
  await runAll(pool, commands, args.concurrency ?? 10);
}
process.stdout.write('done\n');
pool.close();
lines.close();
process.exit(0);
