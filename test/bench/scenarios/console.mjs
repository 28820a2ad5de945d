// 9. Console: the web console's first data (overview + first page of tasks) at a deep backlog vs a shallow one;
// how soon a finished task reaches an open page over the event stream, vs a plain BullMQ QueueEvents listener;
// and what the bridge's heartbeats, machine sampling and metrics cost in CPU while idle.
import { join } from 'node:path';
import { createDashboard } from '@rediacc/dashboard';
import { startRedisServer } from '@rediacc/localstack';
import { createClient } from '@rediacc/producer';
import { createDashboardToken } from '@rediacc/queue';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { addTeam, bridgeProcess, cpuMs } from '../fleet.mjs';
import { row } from '../report.mjs';
import { median, nowMs, percentile, sleep, until } from '../stats.mjs';
import { teamQueues } from './one-machine.mjs';

export const id = 'console';
export const title = '9. Console';
export const describe =
  'First data: the console page’s first two requests, `GET /api/overview` and `GET /api/tasks?limit=50`, sent together with an admin bearer token over real HTTP (the dashboard in this process, on a redis-server of its own), until both bodies are read; median of 10 after 3 warm-ups, on a team with N pending tasks (priorities 1–5, no bridge) vs the same at 1,000 (quick: 1,000 vs 100). Target: within 3× (ratio ≥ 0.33), as for the deep-backlog reads. SSE latency: a page holding `GET /api/events` open (fetch + stream reader) and a BullMQ `QueueEvents` listener on the same lanes, while a bridge process runs `true` tasks one at a time; each task’s latency is the time from its job’s `finishedOn` (set by the bridge) to the `task` event with status COMPLETED reaching the page, and to the `completed` event reaching the listener (the baseline: what any BullMQ consumer of the events gets); same host clock, ms resolution. No target: the stream adds a hop (it reads the lanes’ event streams and fans them out per page). Bridge CPU: a bridge process holding pooled connections to the ten machines (one task per machine first), then idle for a fixed window; process CPU time (user+system, /proc, 10 ms ticks) with machine sampling every second and a metrics server (port 0, not scraped) vs with sampling off and no metrics server; heartbeats run in both. Informational, no target.';

const CALLS = 10;

export async function run({ fleet, sizes, reps, log }) {
  return [
    await firstData(sizes, fleet, log),
    ...(await sseLatency(fleet, sizes, log)),
    await idleCpu(fleet, sizes, reps, log),
  ];
}

/** Row 1: the page's first data, at the base backlog and at the deep one. Own redis-server, like `backlog`. */
async function firstData(sizes, fleet, log) {
  const team = 'console';
  const redis = await startRedisServer({ dir: join(fleet.dir, 'redis-console') });
  const client = createClient({ redis: redis.url });
  const connection = new Redis(redis.url);
  let app;
  try {
    const machine = fleet.machines[0];
    await addTeam(fleet, team, [machine], client);
    const { token } = await createDashboardToken(connection, { role: 'admin' });
    app = await createDashboard({ redis: redis.url });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const headers = { authorization: `Bearer ${token}` };
    const get = async (path) => {
      const res = await fetch(`${base}${path}`, { headers });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${body.slice(0, 200)}`);
      return body;
    };
    const pageData = () => Promise.all([get('/api/overview'), get('/api/tasks?limit=50')]);
    let total = 0;
    const grow = async (to) => {
      while (total < to) {
        const k = Math.min(1000, to - total);
        await client.tasks.createMany(
          Array.from({ length: k }, (_, j) => ({
            team,
            machine: machine.name,
            command: `echo console ${total + j}`,
            priority: 1 + ((total + j) % 5),
          })),
        );
        total += k;
      }
    };
    const measure = async () => {
      for (let i = 0; i < 3; i++) await pageData();
      const times = [];
      for (let i = 0; i < CALLS; i++) {
        const start = nowMs();
        await pageData();
        times.push(nowMs() - start);
      }
      return median(times);
    };
    await grow(sizes.consoleBase);
    const shallow = await measure();
    log(`console first data at ${total} pending: ${shallow.toFixed(1)} ms`);
    await grow(sizes.consoleBacklog);
    const deep = await measure();
    log(`console first data at ${total} pending: ${deep.toFixed(1)} ms`);
    return row(id, `console first data at ${sizes.consoleBacklog.toLocaleString('en')} pending`, {
      unit: 'ms',
      better: 'lower',
      ours: [deep],
      baseline: [shallow],
      baselineName: `same at ${sizes.consoleBase.toLocaleString('en')} pending`,
      target: { ratio: 0.33 },
      note: '/api/overview and /api/tasks?limit=50 sent together, both bodies read',
    });
  } finally {
    await app?.close();
    await connection.quit();
    await client.close();
    await redis.stop();
  }
}

/** Row 2: finishedOn → the page's COMPLETED event, and → a QueueEvents 'completed' (the baseline), same tasks. */
async function sseLatency(fleet, sizes, log) {
  const team = 'con-sse';
  const n = sizes.consoleSseSamples;
  await addTeam(fleet, team, [fleet.machines[0]]);
  const connection = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
  const queues = teamQueues(connection, team);
  // The listeners stamp arrival times by task id; the latency is computed once the job's finishedOn is read.
  const arrived = { sse: new Map(), bullmq: new Map() };
  const listeners = queues.map(
    (q) => new QueueEvents(q.name, { connection: { url: fleet.redis.url }, prefix: q.opts.prefix }),
  );
  for (const l of listeners) l.on('completed', ({ jobId }) => arrived.bullmq.set(jobId, Date.now()));
  const { token } = await createDashboardToken(connection, { role: 'admin' });
  const app = await createDashboard({ redis: fleet.redis.url });
  const abort = new AbortController();
  let bridge;
  try {
    await Promise.all(listeners.map((l) => l.waitUntilReady()));
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${base}/api/events`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    if (res.status !== 200) throw new Error(`GET /api/events: ${res.status}`);
    readSse(res.body, (event, data) => {
      if (event === 'task' && data.status === 'COMPLETED') arrived.sse.set(data.taskId, Date.now());
    }).catch(() => {}); // ends when aborted
    bridge = await bridgeProcess(fleet, { teams: [team], batchSize: 1, name: 'bench-console-sse' });
    const latency = { sse: [], bullmq: [] };
    for (let i = 0; i < n + 3; i++) {
      const { taskId } = await fleet.client.tasks.create({ team, machine: 'm01', command: 'true', priority: 3 });
      await until(
        `task ${taskId} seen by both listeners`,
        () => (arrived.sse.has(taskId) && arrived.bullmq.has(taskId) ? true : undefined),
        30_000,
        2,
      );
      const job = (await Promise.all(queues.map((q) => q.getJob(taskId)))).find(Boolean);
      if (i < 3) continue; // warm-up: connections, the stream's first reads
      latency.sse.push(arrived.sse.get(taskId) - job.finishedOn);
      latency.bullmq.push(arrived.bullmq.get(taskId) - job.finishedOn);
    }
    const pick = (k, p) => percentile(latency[k], p);
    log(
      `console SSE latency: p50 ${pick('sse', 50)} ms, p99 ${pick('sse', 99)} ms; QueueEvents p50 ${pick('bullmq', 50)} ms, p99 ${pick('bullmq', 99)} ms`,
    );
    return [50, 99].map((p) =>
      row(id, `SSE update latency, task completion → browser event, p${p} of ${n}`, {
        unit: 'ms',
        better: 'lower',
        ours: [pick('sse', p)],
        baseline: [pick('bullmq', p)],
        baselineName: 'BullMQ QueueEvents completed',
        note: 'from the job’s finishedOn; no target (the stream is one hop more than a QueueEvents listener)',
      }),
    );
  } finally {
    abort.abort();
    await bridge?.kill();
    await app.close();
    for (const l of listeners) await l.close();
    for (const q of queues) await q.close();
    await connection.quit();
  }
}

/** Reads an SSE body, calling onEvent(event, data) for each event with JSON data (comments skipped). */
async function readSse(body, onEvent) {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1] ?? 'message';
      const data = [...frame.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join('\n');
      if (data) onEvent(event, JSON.parse(data));
    }
  }
}

/** Row 3: an idle bridge's CPU with sampling + metrics on vs off, reps interleaved (on/off, then off/on...). */
async function idleCpu(fleet, sizes, reps, log) {
  const team = 'con-cpu';
  await addTeam(fleet, team);
  const names = fleet.machines.map((m) => m.name);
  const configs = {
    on: { sampleIntervalMs: 1000, metricsPort: 0 },
    off: { sampleIntervalMs: 0 },
  };
  const out = { on: [], off: [] };
  const perMinute = 60_000 / sizes.consoleIdleMs;
  for (let r = 0; r < reps; r++) {
    for (const k of r % 2 === 0 ? ['on', 'off'] : ['off', 'on']) {
      const bridge = await bridgeProcess(fleet, {
        teams: [team],
        batchSize: 10,
        name: `bench-idle-${k}`,
        ...configs[k],
      });
      try {
        // One task per machine, so the bridge holds a pooled connection to each (what sampling runs over).
        const warm = await fleet.client.tasks.createMany(names.map((machine) => ({ team, machine, command: 'true' })));
        await Promise.all(warm.map((t) => fleet.client.tasks.wait(t.taskId)));
        await sleep(1000); // past the start-up and the warm tasks' tail (GC, connection set-up)
        const before = cpuMs(bridge.pid);
        await sleep(sizes.consoleIdleMs);
        out[k].push((cpuMs(bridge.pid) - before) * perMinute);
      } finally {
        await bridge.kill();
      }
    }
    log(`console idle bridge CPU rep ${r + 1}: on ${out.on.at(-1)} ms/min, off ${out.off.at(-1)} ms/min`);
  }
  return row(id, 'bridge CPU idle, heartbeats + machine sampling + metrics (10 machines)', {
    unit: 'ms CPU/min',
    better: 'lower',
    ours: out.on,
    baseline: out.off,
    baselineName: 'same bridge, sampling and metrics off',
    note: `${sizes.consoleIdleMs / 1000} s idle window per rep, sampling every 1 s; informational, no target`,
  });
}
