// docs/performance.md's generated block, from test/bench/results/profile-one.json (written by
// `node test/bench/profile-one.mjs --write`): pure functions, no I/O, so a test renders the committed JSON and
// compares it with the committed doc. Also the two summaries profile-one.mjs stores: the bridge's --cpu-prof
// profile by area and function, and one task's path cut out of the counters.mjs trace.

export const PERF_BEGIN = '<!-- perf:begin -->';
export const PERF_END = '<!-- perf:end -->';

/**
 * The doc's two generated blocks: `current`, the code as it is (`profile-one.mjs N --write`), and `before`, the same
 * profile of the code before issue 13's cuts, kept for comparison (its JSON names the commit it ran on).
 */
export const PERF_BLOCKS = {
  current: { begin: PERF_BEGIN, end: PERF_END, file: 'test/bench/results/profile-one.json' },
  before: {
    begin: '<!-- perf-before:begin -->',
    end: '<!-- perf-before:end -->',
    file: 'test/bench/results/profile-one-before.json',
  },
};
const TOP_FUNCTIONS = 15;

/** Where a profile frame's code lives: a package, node's internals, native code, or V8's own buckets. */
export function area(callFrame) {
  const { url, functionName } = callFrame;
  if (!url) return /^\(.*\)$/.test(functionName) ? functionName : 'native (bindings)';
  if (url.startsWith('node:')) return 'node (internals)';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  const ours = /\/packages\/([^/]+)\//.exec(url);
  if (ours) return `@rediacc/${ours[1]}`;
  if (/\/test\//.test(url)) return 'bench harness';
  return 'other';
}

function place(callFrame) {
  const { url, lineNumber } = callFrame;
  if (!url) return '';
  const file = url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|packages)\//, '');
  return `${file}:${lineNumber + 1}`;
}

/**
 * A .cpuprofile's self time by area and by function, as shares of the busy samples (all but `(idle)`), counting
 * only the samples taken within `window` ({ fromMs, toMs } on CLOCK_MONOTONIC, the clock V8 stamps samples with),
 * so that start-up (module loading) and shutdown stay out. Returns { samples, busy, areas: [{ area, share }],
 * functions: [{ name, where, area, share }] }.
 */
export function summarizeProfile(profile, window = { fromMs: -Infinity, toMs: Infinity }) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const hitsOf = new Map();
  let t = profile.startTime / 1000;
  for (const [i, id] of profile.samples.entries()) {
    t += profile.timeDeltas[i] / 1000;
    if (t >= window.fromMs && t <= window.toMs) hitsOf.set(id, (hitsOf.get(id) ?? 0) + 1);
  }
  const byArea = new Map();
  const byFunction = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, hits] of hitsOf) {
    const node = nodes.get(id);
    total += hits;
    const a = area(node.callFrame);
    if (a === '(idle)') {
      idle += hits;
      continue;
    }
    byArea.set(a, (byArea.get(a) ?? 0) + hits);
    const key = `${node.callFrame.functionName || '(anonymous)'}\t${place(node.callFrame)}\t${a}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
  }
  const busy = total - idle;
  const share = (hits) => Math.round((1000 * hits) / busy) / 10;
  return {
    samples: total,
    busy,
    areas: [...byArea].sort((x, y) => y[1] - x[1]).map(([name, hits]) => ({ area: name, share: share(hits) })),
    functions: [...byFunction]
      .sort((x, y) => y[1] - x[1])
      .slice(0, TOP_FUNCTIONS)
      .map(([key, hits]) => {
        const [name, where, a] = key.split('\t');
        return { name, where, area: a, share: share(hits) };
      }),
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round2 = (x) => Math.round(x * 100) / 100;

/**
 * One task's path: `trace` ([ms, what, roundTrip]) cut at each task's create (`tasks`: [{ created, done }], one at a
 * time, on the same clock). A step is the k-th send of a kind within a task ("the second `moveToActive`"); the path
 * is every step seen in at least half of the tasks, ordered by its median time since the create, so that a
 * background write landing anywhere, or two independent sends swapping places, does not split it.
 * Returns { tasks, totalMs, steps: [{ what, roundTrip, seen, atMs, afterMs }] }.
 */
export function taskPath(trace, tasks) {
  const steps = new Map();
  for (const [i, task] of tasks.entries()) {
    const end = tasks[i + 1]?.created ?? Number.POSITIVE_INFINITY;
    const nth = new Map();
    for (const [t, what, roundTrip] of trace) {
      if (t < task.created || t >= end) continue;
      const k = (nth.get(what) ?? 0) + 1;
      nth.set(what, k);
      const key = `${what}\t${k}`;
      if (!steps.has(key)) steps.set(key, { what, at: [], roundTrips: 0 });
      const step = steps.get(key);
      step.at.push(t - task.created);
      step.roundTrips += roundTrip;
    }
  }
  const path = [...steps.values()]
    .filter((step) => step.at.length >= tasks.length / 2)
    .map((step) => ({
      what: step.what,
      roundTrip: step.roundTrips > step.at.length / 2,
      seen: step.at.length,
      atMs: round2(median(step.at)),
    }))
    .sort((a, b) => a.atMs - b.atMs);
  return {
    tasks: tasks.length,
    totalMs: round2(median(tasks.map((task) => task.done - task.created))),
    steps: path.map((step, j) => ({ ...step, afterMs: round2(step.atMs - (j ? path[j - 1].atMs : 0)) })),
  };
}

function table(header, lines) {
  const widths = header.map((h, i) => Math.max(3, h.length, ...lines.map((l) => String(l[i]).length)));
  const fmt = (l) => `| ${l.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [fmt(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...lines.map(fmt)];
}

/** A generated block (`which`: PERF_BLOCKS' current or before) from its profile-one JSON. */
export function renderPerformance(data, which = 'current') {
  const { batch, path, profile } = data;
  const marks = PERF_BLOCKS[which];
  const per = (x, d = 2) => Number(x).toFixed(d);
  const before = path.steps.filter((s) => s.roundTrip && s.atMs <= path.totalMs);
  const origin =
    which === 'before'
      ? `Measured on the code before the cuts${data.commit ? ` (commit ${data.commit})` : ''} by \`${data.command}\` on ${data.date} (${data.env}); kept for comparison (a test checks this block is the rendering of \`${marks.file}\`).`
      : `Generated by \`${data.command}\` on ${data.date} (${data.env}); rerun that command to refresh it (a test checks this block is the rendering of \`${marks.file}\`).`;
  const out = [
    marks.begin,
    '',
    origin,
    '',
    `### Per task, a batch of ${batch.tasks} \`true\` on one machine`,
    '',
    ...table(
      ['what', 'per task'],
      [
        ['Redis commands, server side (`INFO commandstats`, commands inside scripts included)', per(batch.commands, 1)],
        ['Redis commands the bridge sent', per(batch.sent, 1)],
        ['SSH messages the bridge sent (SFTP requests included)', per(batch.sshMessages, 1)],
        ['SFTP requests', per(batch.sftp, 1)],
        ['SSH bytes, written / read', `${Math.round(batch.bytes.written)} / ${Math.round(batch.bytes.read)}`],
        ['bridge CPU, ms (`process.cpuUsage()`)', per(batch.cpuMs)],
        ['throughput, tasks/s (while profiled)', Math.round(batch.rate)],
      ],
    ),
    '',
    `Server-side commands by name, per task: ${batch.server.map(([k, v]) => `${k} ${per(v, 1)}`).join(', ')}.`,
    '',
    `### One task's path, one task at a time (${path.tasks} tasks)`,
    '',
    `Each row is something the bridge sends (its k-th send of that kind within the task), seen in at least half of the ${path.tasks} tasks (column "seen"), in the order of its median time since the bench's \`createMany\` call; "ms after previous" is the difference from the row above, and its share is of the median task time (${per(path.totalMs)} ms, from the create call to the bench seeing the task finished). A round trip (✓) is a send the bridge then waits on: the first Redis command of a turn of the event loop, an SSH request or channel data that is answered. Sends after the median finish are the task's trailing writes (the audit flush, every 10 ms) and the next fetch.`,
    '',
    ...table(
      ['#', 'sent', 'round trip', 'seen', 'ms after previous', 'ms since create', 'share of task time'],
      path.steps.map((s, i) => [
        String(i + 1),
        `\`${s.what}\``,
        s.roundTrip ? '✓' : '',
        String(s.seen),
        per(s.afterMs),
        per(s.atMs),
        s.atMs > path.totalMs ? 'after it finished' : `${Math.round((100 * s.afterMs) / path.totalMs)}%`,
      ]),
    ),
    '',
    `Round trips in this path before the median finish: ${before.length} (${before.filter((s) => s.what.startsWith('redis')).length} to Redis, ${before.filter((s) => !s.what.startsWith('redis')).length} over SSH).`,
    '',
    `### Where the bridge's CPU goes (\`--cpu-prof\` samples taken during the batch and the one-at-a-time tasks: ${profile.busy} busy of ${profile.samples})`,
    '',
    ...table(
      ['area', 'share of busy samples'],
      profile.areas.filter((a) => a.share >= 0.5).map((a) => [a.area, `${a.share}%`]),
    ),
    '',
    ...table(
      ['function (self time)', 'where', 'area', 'share'],
      profile.functions.map((f) => [`\`${f.name}\``, f.where ? `\`${f.where}\`` : '', f.area, `${f.share}%`]),
    ),
    '',
    marks.end,
  ];
  return out.join('\n');
}

/** The doc with its `which` block replaced by `block`; throws when the markers are missing. */
export function splicePerformance(doc, block, which = 'current') {
  const { begin: open, end: close } = PERF_BLOCKS[which];
  const begin = doc.indexOf(open);
  const end = doc.indexOf(close);
  if (begin < 0 || end < begin) throw new Error(`docs/performance.md has no ${open} … ${close} block`);
  return `${doc.slice(0, begin)}${block}${doc.slice(end + close.length)}`;
}
