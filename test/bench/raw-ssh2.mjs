// The raw ssh2 baseline: pooled connections (TCP_NODELAY on, as the bridge does), `exec` on a channel, no agent,
// no queue. At most `channelsPerConnection` channels in flight per connection (sshd's MaxSessions is 10, and
// ssh2 channel opens fail from about 6 in flight), the least busy connection of the machine chosen each time.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Client } from 'ssh2';

function open(machine, privateKey) {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: machine.host, port: machine.port, noDelay: true });
    const client = new Client();
    client.once('ready', () => resolve(client)).once('error', reject);
    sock.once('error', reject);
    sock.once('connect', () => client.connect({ sock, username: machine.user, privateKey }));
  });
}

/** Opens `perMachine` connections to each machine; exec(machineIndex, command) resolves with the exit code. */
export async function rawPool(machines, { perMachine = 1, channelsPerConnection = 5 } = {}) {
  const key = readFileSync(machines[0].privateKeyPath);
  const conns = await Promise.all(
    machines.map(async (m) => Promise.all(Array.from({ length: perMachine }, () => open(m, key)))),
  );
  const busy = conns.map((list) => list.map(() => 0));
  const waiters = machines.map(() => []);
  const pick = (i) => {
    let best = 0;
    for (let j = 1; j < busy[i].length; j++) if (busy[i][j] < busy[i][best]) best = j;
    return busy[i][best] < channelsPerConnection ? best : -1;
  };
  async function exec(i, command) {
    let j = pick(i);
    while (j < 0) {
      await new Promise((resolve) => waiters[i].push(resolve));
      j = pick(i);
    }
    busy[i][j]++;
    try {
      return await new Promise((resolve, reject) =>
        conns[i][j].exec(command, (err, stream) => {
          if (err) return reject(err);
          let code = null;
          stream.on('exit', (c) => {
            code = c;
          });
          stream.on('data', () => {}).on('close', () => resolve(code));
          stream.stderr.resume();
        }),
      );
    } finally {
      busy[i][j]--;
      waiters[i].shift()?.();
    }
  }
  return {
    exec,
    close() {
      for (const list of conns) for (const c of list) c.end();
    },
  };
}

/** Runs `commands` ([machineIndex, command]) with `concurrency` in flight; resolves with the elapsed ms. */
export async function runAll(pool, commands, concurrency) {
  let next = 0;
  let failed = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < commands.length) {
        const [i, command] = commands[next++];
        if ((await pool.exec(i, command)) !== 0) failed++;
      }
    }),
  );
  if (failed > 0) throw new Error(`raw ssh2: ${failed} commands failed`);
  return performance.now() - start;
}
