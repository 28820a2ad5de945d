// 3. Ten machines: commands spread over the ten machines, 10-way parallel, through us (createMany → COMPLETED,
// one bridge) vs the tools ops teams use: xargs -P10 ssh (fresh connections, and with ControlMaster connections
// opened beforehand), parallel-ssh -p 10, ansible -m command / -m raw -f 10, and raw ssh2 pooled. Then the cold
// fan-out: one command on all ten machines from a bridge with no connection open yet, vs the same peers cold.
import { Redis } from 'ioredis';
import { addTeam, inProcessBridge } from '../fleet.mjs';
import { ansible, openMasters, PEER_PACKAGES, pssh, xargsSsh } from '../peers.mjs';
import { rawStack } from '../raw-bullmq.mjs';
import { rawPool, runAll } from '../raw-ssh2.mjs';
import { row, skippedRow } from '../report.mjs';
import { median, nowMs } from '../stats.mjs';
import { teamQueues, throughputOnce } from './one-machine.mjs';

export const id = 'ten-machines';
export const title = '3. Ten machines';
export const describe =
  "N commands spread round-robin over the ten machines, 10 in parallel, commands per second. Ours: `createMany` → all COMPLETED through one bridge (`--batch-size 10`). Peers: (a) `xargs -P10 ssh HOST CMD` (a fresh OpenSSH connection per command), (b) the same through ControlMaster connections opened beforehand, (c) `parallel-ssh -p 10` over a host file listing each command's machine, (d) `ansible all -m command -f 10` and `-m raw` over an inventory with one alias per command (Ansible's default ControlPersist applies), (e) raw ssh2 `exec` on one pooled connection per machine, (f) a plain BullMQ `Worker` (concurrency 10, `addBulk` at priority 3) running that same `exec` (what the queue alone costs, which any design on BullMQ pays). Ansible runs fewer commands per rep (slow); its rate is per command all the same. Cold fan-out: one command on all ten machines, wall ms from create to the last COMPLETED, from a freshly started bridge with no connection open, vs each peer starting cold (raw ssh2 includes its connects).";

const TEAM = 'ten';
const COMMANDS = ['true', 'sleep 0.05'];

export async function run({ fleet, sizes, reps, log, peers }) {
  const n = sizes.tenMachines;
  const names = fleet.machines.map((m) => m.name);
  await addTeam(fleet, TEAM);
  const connection = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const queues = teamQueues(connection, TEAM);
  let bridge = await inProcessBridge(fleet, { teams: [TEAM], batchSize: 10, name: 'bench-ten' });
  const pool = await rawPool(fleet.machines, { perMachine: 1 });
  const bull = await rawStack(fleet, { name: 'rawten', concurrency: 10, perMachine: 1 });
  const bullOnce = (list) =>
    throughputOnce(undefined, [bull.queue], specsOf(list), (batch) =>
      bull.queue.addBulk(batch.map((t) => ({ name: t.machine, data: t, opts: { priority: 3 } }))),
    );
  const spread = (k, cmd) => Array.from({ length: k }, (_, i) => [i % names.length, cmd]);
  const specsOf = (list) => list.map(([i, command]) => ({ team: TEAM, machine: names[i], command }));
  const byName = (list) => list.map(([i, cmd]) => [names[i], cmd]);
  const rows = [];
  try {
    await openMasters(peers, fleet);
    // Warm-up: bridge connections and agents, raw pool, masters.
    await throughputOnce(fleet.client, queues, specsOf(spread(50, 'true')));
    await runAll(pool, spread(50, 'true'), 10);
    await bullOnce(spread(50, 'true'));
    for (const cmd of COMMANDS) {
      const list = spread(n, cmd);
      const ansibleList = spread(Math.min(n, sizes.ansibleCommands), cmd);
      const hosts = byName(ansibleList).map(([h]) => h);
      const methods = {
        ours: async () => n / ((await throughputOnce(fleet.client, queues, specsOf(list))) / 1000),
        raw: async () => n / ((await runAll(pool, list, 10)) / 1000),
        bull: async () => n / ((await bullOnce(list)) / 1000),
        xargs: async () => n / ((await xargsSsh(peers, byName(list))) / 1000),
        controlMaster: async () => n / ((await xargsSsh(peers, byName(list), { controlMaster: true })) / 1000),
        ...(peers.pssh
          ? {
              pssh: async () =>
                n /
                ((await pssh(
                  peers,
                  byName(list).map(([h]) => h),
                  cmd,
                )) /
                  1000),
            }
          : {}),
        ...(peers.ansible
          ? {
              ansibleCommand: async () => hosts.length / ((await ansible(peers, fleet, hosts, 'command', cmd)) / 1000),
              ansibleRaw: async () => hosts.length / ((await ansible(peers, fleet, hosts, 'raw', cmd)) / 1000),
            }
          : {}),
      };
      const out = Object.fromEntries(Object.keys(methods).map((k) => [k, []]));
      const keys = Object.keys(methods);
      for (let r = 0; r < reps; r++) {
        const order = r % 2 === 0 ? keys : [...keys].reverse();
        for (const k of order) {
          if (k.startsWith('ansible') && r >= sizes.ansibleReps) continue;
          out[k].push(await methods[k]());
        }
        log(`ten machines '${cmd}' rep ${r + 1}: ${keys.map((k) => `${k} ${out[k].at(-1).toFixed(0)}/s`).join(', ')}`);
      }
      const vs = (key, name, target, { bound = false } = {}) =>
        out[key]
          ? rows.push(
              row(id, `${n} × ${cmd}`, {
                unit: 'cmds/s',
                better: 'higher',
                ours: out.ours,
                baseline: out[key],
                baselineName: name,
                target,
                ...(key.startsWith('ansible') && hosts.length !== n
                  ? {
                      note: `Ansible ran ${hosts.length} commands, ${sizes.ansibleReps} rep(s) (slow); its rate is per command`,
                    }
                  : bound && SLEEP.test(cmd)
                    ? { note: boundNote(cmd, out.ours, out[key], name) }
                    : {}),
              }),
            )
          : rows.push(skipped(`${n} × ${cmd}`, name, key));
      const sleeping = SLEEP.test(cmd);
      vs('xargs', 'xargs -P10 ssh (fresh)', null);
      // No target against ControlMaster: with `sleep 0.05` it already runs near the bound (see its note).
      vs('controlMaster', 'xargs -P10 ssh ControlMaster', sleeping ? null : { ratio: 1.5 }, { bound: true });
      vs('pssh', 'parallel-ssh -p 10', { ratio: 10 });
      vs('ansibleCommand', 'ansible -m command -f 10', { ratio: 25 });
      vs('ansibleRaw', 'ansible -m raw -f 10', null);
      vs('raw', 'raw ssh2 pooled', { ratio: sleeping ? 0.95 : 0.8 }, { bound: true });
      vs('bull', 'raw BullMQ + ssh2, concurrency 10', null, { bound: true });
    }

    // Cold fan-out: a new bridge per rep, so no connection or agent is open when the tasks arrive.
    await bridge.close({ graceMs: 0 });
    bridge = undefined;
    const fan = Array.from({ length: names.length }, (_, i) => [i, 'true']);
    const cold = {
      ours: async () => {
        const fresh = await inProcessBridge(fleet, { teams: [TEAM], batchSize: 10, name: `bench-cold-${nowMs()}` });
        try {
          return await throughputOnce(fleet.client, queues, specsOf(fan));
        } finally {
          await fresh.close({ graceMs: 0 });
        }
      },
      raw: async () => {
        const start = nowMs();
        const p = await rawPool(fleet.machines, { perMachine: 1 });
        await runAll(p, fan, 10);
        const ms = nowMs() - start;
        p.close();
        return ms;
      },
      xargs: () => xargsSsh(peers, byName(fan)),
      ...(peers.pssh ? { pssh: () => pssh(peers, names, 'true') } : {}),
      ...(peers.ansible
        ? {
            ansibleCommand: () => ansible(peers, fleet, names, 'command', 'true'),
            ansibleRaw: () => ansible(peers, fleet, names, 'raw', 'true'),
          }
        : {}),
    };
    const out = Object.fromEntries(Object.keys(cold).map((k) => [k, []]));
    const keys = Object.keys(cold);
    for (let r = 0; r < reps; r++) {
      for (const k of r % 2 === 0 ? keys : [...keys].reverse()) out[k].push(await cold[k]());

      log(`cold fan-out rep ${r + 1}: ${keys.map((k) => `${k} ${out[k].at(-1).toFixed(0)} ms`).join(', ')}`);
    }
    const fanVs = (key, name, target = null) =>
      rows.push(
        out[key]
          ? row(id, 'cold fan-out: true on all 10', {
              unit: 'ms',
              better: 'lower',
              ours: out.ours,
              baseline: out[key],
              baselineName: name,
              target,
            })
          : skipped('cold fan-out: true on all 10', name, key),
      );
    fanVs('xargs', 'xargs -P10 ssh (fresh)');
    fanVs('pssh', 'parallel-ssh -p 10');
    fanVs('ansibleCommand', 'ansible -m command -f 10');
    fanVs('ansibleRaw', 'ansible -m raw -f 10');
    // Issue 13's target: within 0.8× of raw ssh2 starting cold.
    fanVs('raw', 'raw ssh2 (connect + exec)', { ratio: 0.8 });
    return rows;
  } finally {
    await bull.close();
    pool.close();
    await bridge?.close({ graceMs: 0 });
    for (const q of queues) await q.close();
    await connection.quit();
  }
}

const SLEEP = /^sleep (\d+(?:\.\d+)?)$/;
const IN_FLIGHT = 10;

/** How close each side comes to the bound a sleep sets: IN_FLIGHT ÷ its duration, in commands per second. */
function boundNote(cmd, ours, baseline, name) {
  const bound = IN_FLIGHT / Number(SLEEP.exec(cmd)[1]);
  const pct = (list) => `${Math.round((100 * median(list)) / bound)}%`;
  return `the bound is ${IN_FLIGHT} in flight ÷ ${SLEEP.exec(cmd)[1]} s = ${bound} cmds/s: ours reaches ${pct(ours)} of it, ${name} ${pct(baseline)} (medians)`;
}

/** The peer each method needs; its row says which program is missing. */
const METHOD_PEERS = { pssh: 'pssh', ansibleCommand: 'ansible', ansibleRaw: 'ansible' };

function skipped(metric, baselineName, key) {
  return skippedRow(id, metric, baselineName, `${PEER_PACKAGES[METHOD_PEERS[key]].program} is not installed`);
}
