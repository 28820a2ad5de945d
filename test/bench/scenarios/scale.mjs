// 11. Scale: throughput with 1, 2 and 4 bridge processes on the same ten machines; `machine list` and task routing
// with 10,000 registered machines vs 100; one bridge holding connections to 100 sshd machines (RSS and CPU per
// machine, idle and busy); and the same task flow on a 3-master Redis Cluster vs a single Redis.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '@rediacc/localstack';
import { createClient } from '@rediacc/producer';
import { Cluster, Redis } from 'ioredis';
import { addTeam, bridgeProcess, cpuMs, inProcessBridge, rssMiB } from '../fleet.mjs';
import { row } from '../report.mjs';
import { startCluster, startManySshd } from '../scale-infra.mjs';
import { median, nowMs, sleep, until } from '../stats.mjs';
import { teamQueues, throughputOnce } from './one-machine.mjs';

export const id = 'scale';
export const title = '11. Scale';
export const describe =
  'Bridges: N tasks of `true` spread round-robin over the ten machines, createMany → all COMPLETED, with 1, 2 and 4 bridge processes (`--batch-size 10` each) serving the one team; rates against 1 bridge; the counts go up then down rep by rep (bridges started or stopped to reach each, other bridges kept), each count warmed by 50 tasks before it is measured (quick: 1 and 2 bridges, 10 tasks). On this box the limit is the CPU: its 2 cores are shared by the bridges, redis-server, the ten sshds and the commands they fork, so more bridges add parallel claims and SSH sessions but no cores; past that, the one team’s queue in one redis-server is shared by every bridge. Registry: a team of 10,000 registered machines (quick: 1,000) vs one of 100, on a redis-server of their own (all pointing at the ten sshds); `machines.list(team)` through the SDK (median of 10 calls), the real CLI `machine list --team T --json` (whole process, Node start-up included; median of 3 runs, quick: 1), and routing: one `true` task created on the team’s last registered machine, ms from create to started on the bridge (the task’s startedAt; median of 20 tasks one at a time (quick: 3), after one warm-up task, one in-process bridge serving both teams, connection warm). Many machines: a bridge process whose team has 100 sshd machines on 127.0.43.x (quick: 10), each sshd its own process; RSS after 50 tasks on one machine (quick: 10), sampled idle for 30 s (quick: 1.5 s), then after one task on every machine (connections held) sampled idle as long; per machine, the difference over the k − 1 machines added, then busy running `true` tasks round-robin over them; CPU from /proc (10 ms ticks) as % of one core per machine. Cluster: the same flow (three teams, tasks of `true` over the ten machines, one in-process bridge serving the three) on three Redis Cluster masters (`redis+cluster://`, no replicas) vs a single redis-server (both on this box), interleaved; the three Cluster teams are picked so that each lands on a different master (the note names them). Ratios: higher is better, so below 1 means slower at scale (or on the Cluster).';

const CLI_BIN = fileURLToPath(new URL('../../../packages/cli/dist/bin.js', import.meta.url));

export async function run({ fleet, sizes, reps, log }) {
  const rows = [];
  rows.push(...(await bridges(fleet, sizes, reps, log)));
  rows.push(...(await registry(fleet, sizes, log)));
  rows.push(...(await manyMachines(fleet, sizes, log)));
  rows.push(...(await cluster(fleet, sizes, reps, log)));
  return rows;
}

const spread = (n, teams, machines) =>
  Array.from({ length: n }, (_, i) => ({
    team: teams[i % teams.length],
    machine: machines[Math.floor(i / teams.length) % machines.length].name,
    command: 'true',
  }));

async function bridges(fleet, sizes, reps, log) {
  const team = 'scale-b';
  const n = sizes.scaleTasks;
  await addTeam(fleet, team);
  const connection = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const queues = teamQueues(connection, team);
  const rates = Object.fromEntries(sizes.scaleBridges.map((k) => [k, []]));
  // Bridges are added and stopped one at a time to reach each count (1 → 2 → 4, then back), so the count changes
  // between measurements without starting every bridge afresh; each count is warmed before it is measured.
  const procs = [];
  let started = 0;
  try {
    for (let r = 0; r < reps; r++) {
      const order = r % 2 === 0 ? sizes.scaleBridges : [...sizes.scaleBridges].reverse();
      for (const k of order) {
        while (procs.length > k) await procs.pop().kill();
        const more = Array.from({ length: k - procs.length }, () =>
          bridgeProcess(fleet, { teams: [team], batchSize: 10, name: `scale-${++started}` }),
        );
        procs.push(...(await Promise.all(more)));
        await throughputOnce(fleet.client, queues, spread(sizes.scaleWarm, [team], fleet.machines));
        rates[k].push(n / ((await throughputOnce(fleet.client, queues, spread(n, [team], fleet.machines))) / 1000));
      }
      log(
        `bridges rep ${r + 1}: ${sizes.scaleBridges.map((k) => `${k} → ${rates[k].at(-1).toFixed(0)}/s`).join(', ')}`,
      );
    }
  } finally {
    for (const p of procs) await p.kill();
    for (const q of queues) await q.close();
    await connection.quit();
  }
  return sizes.scaleBridges
    .filter((k) => k !== 1)
    .map((k) =>
      row(id, `${n} × true, ${k} bridge processes`, {
        unit: 'cmds/s',
        better: 'higher',
        ours: rates[k],
        baseline: rates[1],
        baselineName: '1 bridge process',
      }),
    );
}

/** Registers `count` machines named PREFIX00001… on the fleet's ten sshds, 200 adds in flight. */
async function registerMany(client, fleet, team, count, prefix) {
  const names = [];
  for (let i = 0; i < count; i += 200) {
    const chunk = Array.from({ length: Math.min(200, count - i) }, (_, j) => i + j);
    await Promise.all(
      chunk.map((k) => {
        const m = fleet.machines[k % fleet.machines.length];
        const name = `${prefix}${String(k + 1).padStart(5, '0')}`;
        names.push(name);
        return client.machines.add({
          name,
          team,
          host: m.host,
          port: m.port,
          user: m.user,
          keyFile: m.privateKeyPath,
          hostKeyFingerprint: m.hostKeyFingerprint,
        });
      }),
    );
  }
  return names.sort();
}

async function registry(fleet, sizes, log) {
  const redis = await startRedisServer({ dir: join(fleet.dir, 'redis-scale-registry') });
  const client = createClient({ redis: redis.url });
  const sides = {
    big: { team: 'reg-big', count: sizes.scaleMachines },
    small: { team: 'reg-small', count: sizes.scaleBase },
  };
  let bridge;
  try {
    for (const side of Object.values(sides)) {
      await addTeam(fleet, side.team, [], client);
      const start = nowMs();
      side.names = await registerMany(client, fleet, side.team, side.count, side.team === 'reg-big' ? 'b' : 's');
      log(`registered ${side.count} machines in ${((nowMs() - start) / 1000).toFixed(1)} s`);
    }
    bridge = await inProcessBridge(fleet, {
      teams: Object.values(sides).map((s) => s.team),
      batchSize: 10,
      name: 'scale-registry',
      redisUrl: redis.url,
    });
    const out = {};
    for (const [key, side] of Object.entries(sides)) {
      const sdk = [];
      for (let i = 0; i < 13; i++) {
        const start = nowMs();
        const list = await client.machines.list(side.team);
        if (i >= 3) sdk.push(nowMs() - start);
        if (list.length !== side.count) throw new Error(`machines.list: ${list.length} of ${side.count}`);
      }
      const cli = [];
      for (let i = 0; i < sizes.cliRuns; i++) {
        const start = nowMs();
        const result = spawnSync(process.execPath, [CLI_BIN, 'machine', 'list', '--team', side.team, '--json'], {
          env: { ...process.env, REDIS_URL: redis.url, RDC_LOG_LEVEL: 'warn' },
          encoding: 'utf8',
          maxBuffer: 256 * 1024 * 1024,
        });
        cli.push(nowMs() - start);
        if (result.status !== 0) throw new Error(`machine list --json failed: ${result.stderr}`);
      }
      const machine = side.names.at(-1);
      const route = [];
      for (let i = 0; i < sizes.routeSamples + 1; i++) {
        const created = Date.now();
        const { taskId } = await client.tasks.create({ team: side.team, machine, command: 'true' });
        const view = await until(`task ${taskId} to finish`, async () => {
          const v = await client.tasks.inspect(taskId);
          return v.status === 'COMPLETED' || v.status === 'FAILED' ? v : undefined;
        });
        if (view.status !== 'COMPLETED' || !view.startedAt) throw new Error(`routing task ${taskId}: ${view.status}`);
        if (i >= 1) route.push(Date.parse(view.startedAt) - created);
      }
      out[key] = { sdk, cli, route };
      log(
        `${side.count} machines: list ${median(sdk).toFixed(1)} ms, CLI ${median(cli).toFixed(0)} ms, route ${median(route)} ms`,
      );
    }
    const vs = (metric, what, unit) =>
      row(id, `${metric}, ${sizes.scaleMachines.toLocaleString('en')} machines`, {
        unit,
        better: 'lower',
        ours: out.big[what],
        baseline: out.small[what],
        baselineName: `${sizes.scaleBase} machines`,
      });
    return [
      vs('machines.list (SDK)', 'sdk', 'ms'),
      vs('machine list --json (CLI process)', 'cli', 'ms'),
      vs('routing: create → started', 'route', 'ms'),
    ];
  } finally {
    await bridge?.close({ graceMs: 0 });
    await client.close();
    await redis.stop();
  }
}

async function manyMachines(fleet, sizes, log) {
  const team = 'scale-h';
  const k = sizes.scaleSshd;
  const start = nowMs();
  const machines = await startManySshd(fleet, k);
  log(`${k} sshd machines up in ${((nowMs() - start) / 1000).toFixed(1)} s`);
  await addTeam(fleet, team, machines);
  const connection = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const queues = teamQueues(connection, team);
  const bridge = await bridgeProcess(fleet, { teams: [team], batchSize: 10, name: 'scale-many' });
  try {
    // The baseline is the same bridge after work on one machine, sampled idle as long as the k-machine state
    // below: sampled straight after start-up, it carried the start-up's garbage, which the first collection
    // after the fan-out returned (the per-machine figure came out negative).
    await throughputOnce(fleet.client, queues, spread(sizes.scaleWarm, [team], machines.slice(0, 1)));
    await sleep(500);
    const rss1 = median(await sampleIdleRss(bridge.pid, sizes.scaleIdleMs));
    await throughputOnce(fleet.client, queues, spread(k, [team], machines));
    await sleep(500);
    const idleCpu0 = cpuMs(bridge.pid);
    const idleStart = nowMs();
    const idleRss = await sampleIdleRss(bridge.pid, sizes.scaleIdleMs);
    const idleCpu = (cpuMs(bridge.pid) - idleCpu0) / (nowMs() - idleStart);
    const held = sshConnections(bridge.pid);
    const busyRss = [];
    const sampler = setInterval(() => busyRss.push(rssMiB(bridge.pid)), 200);
    const busyCpu0 = cpuMs(bridge.pid);
    const busyStart = nowMs();
    try {
      await throughputOnce(fleet.client, queues, spread(sizes.scaleBusyTasks, [team], machines));
    } finally {
      clearInterval(sampler);
    }
    const busyMs = nowMs() - busyStart;
    const busyCpuMs = cpuMs(bridge.pid) - busyCpu0;
    busyRss.push(rssMiB(bridge.pid));
    const idle = median(idleRss);
    const busy = Math.max(...busyRss);
    log(`${k} machines: RSS holding 1 ${rss1.toFixed(1)} → idle ${idle.toFixed(1)} → busy ${busy.toFixed(1)} MiB`);
    const perMachine = (mib) => [((mib - rss1) * 1024) / (k - 1)];
    const pct = (cpuPerMs) => [(100 * cpuPerMs) / k];
    const rate = sizes.scaleBusyTasks / (busyMs / 1000);
    return [
      row(id, `bridge RSS holding ${k} machines, idle`, {
        unit: 'MiB',
        better: 'lower',
        ours: [idle],
        baseline: [rss1],
        baselineName: 'same bridge, holding one machine',
        note: `${held} TCP connections from the bridge to the 127.0.43.x machines open at the end of the idle sampling (ss)`,
      }),
      row(id, `RSS per machine held, idle (${k} machines)`, { unit: 'KiB', better: 'lower', ours: perMachine(idle) }),
      row(id, `CPU per machine held, idle (${k} machines)`, {
        unit: '% of a core',
        better: 'lower',
        ours: pct(idleCpu),
        note: `${((idleCpu * 1000) / 1).toFixed(1)} ms CPU per s for all ${k}, over ${(sizes.scaleIdleMs / 1000).toFixed(1)} s`,
      }),
      row(id, `RSS per machine held, busy (${k} machines)`, {
        unit: 'KiB',
        better: 'lower',
        ours: perMachine(busy),
        note: `peak RSS ${busy.toFixed(1)} MiB while running ${sizes.scaleBusyTasks} tasks at ${rate.toFixed(0)}/s`,
      }),
      row(id, `CPU per machine held, busy (${k} machines)`, {
        unit: '% of a core',
        better: 'lower',
        ours: pct(busyCpuMs / busyMs),
        note: `${(busyCpuMs / sizes.scaleBusyTasks).toFixed(2)} ms CPU per task, ${rate.toFixed(0)} tasks/s`,
      }),
    ];
  } finally {
    await bridge.kill();
    for (const q of queues) await q.close();
    await connection.quit();
  }
}

async function cluster(fleet, sizes, reps, log) {
  const n = sizes.clusterTasks;
  const cl = await startCluster(fleet);
  const clusterClient = createClient({ redis: cl.url });
  const clusterConn = new Cluster(
    cl.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    { redisOptions: { password: cl.password, maxRetriesPerRequest: null } },
  );
  const single = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const opened = [];
  try {
    const { teams: clusterTeams, shards } = await oneTeamPerMaster(clusterConn, cl);
    const sides = {
      cluster: { teams: clusterTeams, client: clusterClient, conn: clusterConn, url: cl.url },
      single: { teams: ['sg-a', 'sg-b', 'sg-c'], client: fleet.client, conn: single, url: fleet.redis.url },
    };
    for (const [key, side] of Object.entries(sides)) {
      for (const team of side.teams) await addTeam(fleet, team, fleet.machines, side.client);
      side.queues = side.teams.flatMap((team) => teamQueues(side.conn, team));
      side.bridge = await inProcessBridge(fleet, {
        teams: side.teams,
        batchSize: 10,
        name: `scale-${key}`,
        redisUrl: side.url,
      });
      opened.push(side);
      side.rates = [];
      await throughputOnce(side.client, side.queues, spread(sizes.scaleWarm, side.teams, fleet.machines));
    }
    for (let r = 0; r < reps; r++) {
      for (const key of r % 2 === 0 ? ['single', 'cluster'] : ['cluster', 'single']) {
        const side = sides[key];
        side.rates.push(
          n / ((await throughputOnce(side.client, side.queues, spread(n, side.teams, fleet.machines))) / 1000),
        );
      }
      log(
        `cluster rep ${r + 1}: single ${sides.single.rates.at(-1).toFixed(0)}/s, cluster ${sides.cluster.rates.at(-1).toFixed(0)}/s`,
      );
    }
    return [
      row(id, `${n} × true, 3 teams, 3-master Cluster`, {
        unit: 'cmds/s',
        better: 'higher',
        ours: sides.cluster.rates,
        baseline: sides.single.rates,
        baselineName: 'single redis-server',
        note: shards.join('; '),
      }),
    ];
  } finally {
    for (const side of opened) {
      await side.bridge.close({ graceMs: 0 });
      for (const q of side.queues) await q.close();
    }
    await clusterClient.close();
    clusterConn.disconnect();
    await single.quit();
  }
}

/** Three team names whose keys (hash tag `{team}`) land on three different masters, and where each landed. */
async function oneTeamPerMaster(conn, cl) {
  await until('the cluster connection', async () => (conn.status === 'ready' ? true : undefined), 10_000);
  const byMaster = new Map();
  for (let i = 1; byMaster.size < cl.nodes.length && i < 1000; i++) {
    const team = `cl-${i}`;
    const slot = Number(await conn.cluster('KEYSLOT', `rdc:{${team}}:tasks`));
    const master = cl.nodes.findIndex((node) => conn.slots[slot]?.[0]?.endsWith(`:${node.port}`));
    if (!byMaster.has(master)) byMaster.set(master, { team, slot });
  }
  const picked = [...byMaster.entries()].sort(([a], [b]) => a - b);
  return {
    teams: picked.map(([, p]) => p.team),
    shards: picked.map(([m, p]) => `${p.team} on master ${m + 1} (slot ${p.slot})`),
  };
}

/** Established TCP connections of process `pid` to 127.0.43.x (the many-machines sshds), counted with `ss -tnp`. */
/** RSS samples (MiB) of an idle process over `ms`, a few a second. */
async function sampleIdleRss(pid, ms) {
  const samples = [];
  const start = nowMs();
  while (nowMs() - start < ms) {
    samples.push(rssMiB(pid));
    await sleep(Math.min(1000, ms / 4));
  }
  return samples;
}

function sshConnections(pid) {
  const result = spawnSync('ss', ['-Htnp', 'state', 'established', 'dst', '127.0.43.0/24'], { encoding: 'utf8' });
  if (result.status !== 0) return 'unknown (ss failed)';
  return result.stdout.split('\n').filter((line) => line.includes(`pid=${pid},`)).length;
}
