// BENCHMARKS.md and README's benchmark block, rendered from the results file alone
// (test/bench/results/latest.json: { runs, rows }, each row naming its run). Pure functions, no I/O: a test renders
// the committed results and compares them with the committed files, so a figure typed in by hand fails it.
// Each run keeps its own header: a partial rerun (--only) gets a section of its own, never the full run's.
// Output is already in biome's markdown format (padded tables, `_emphasis_`), so `biome check .` leaves it alone.

export const README_BEGIN = '<!-- bench:begin -->';
export const README_END = '<!-- bench:end -->';

/** Throws unless every row names a run that is recorded, and every run has its date, scope, environment and methods. */
export function checkResults(results) {
  if (!results || !Array.isArray(results.runs) || !Array.isArray(results.rows)) {
    throw new Error(
      'bench results: expected { runs: [...], rows: [...] } (results written before runs were recorded?)',
    );
  }
  const ids = new Set();
  for (const run of results.runs) {
    for (const field of ['id', 'date', 'scope', 'scenarios', 'env', 'methods']) {
      if (run[field] === undefined || run[field] === null)
        throw new Error(`bench results: run ${run.id} has no ${field}`);
    }
    if (run.scope !== 'full' && run.scope !== 'partial')
      throw new Error(`bench results: run ${run.id} scope ${run.scope}`);
    if (ids.has(run.id)) throw new Error(`bench results: run ${run.id} recorded twice`);
    ids.add(run.id);
  }
  for (const row of results.rows) {
    const run = results.runs.find((r) => r.id === row.run);
    if (!run) throw new Error(`bench results: row "${row.metric}" names run ${row.run}, which is not recorded`);
    if (!run.methods[row.scenario]) throw new Error(`bench results: run ${run.id} has no method for ${row.scenario}`);
  }
  for (const run of results.runs) {
    if (!results.rows.some((r) => r.run === run.id)) throw new Error(`bench results: run ${run.id} has no rows left`);
  }
  return results;
}

/**
 * The results after a run. A full run replaces everything. A partial rerun (--only) replaces its scenarios' rows,
 * keeps the others with the runs that measured them, and drops any run none of whose rows is left. `order`: the
 * scenario ids in report order.
 */
export function mergeRun(previous, run, rows, order) {
  const mine = rows.map((r) => ({ ...r, run: run.id }));
  if (run.scope === 'full') return checkResults({ runs: [run], rows: mine });
  const kept = previous.rows.filter((r) => !run.scenarios.includes(r.scenario));
  const all = [...kept, ...mine].sort((a, b) => order.indexOf(a.scenario) - order.indexOf(b.scenario));
  const runs = [...previous.runs.filter((r) => kept.some((row) => row.run === r.id)), run];
  return checkResults({ runs, rows: all });
}

/** What a run is called mid-sentence. */
export function runName(run) {
  const title = runTitle(run);
  return `${title[0].toLowerCase()}${title.slice(1)}`;
}

/** What a run is called in its header. */
export function runTitle(run) {
  const quick = run.quick ? 'Quick ' : '';
  return run.scope === 'full'
    ? `${quick || 'Full '}run on ${run.date}`
    : `${quick}${quick ? 'rerun' : 'Rerun'} of ${run.scenarios.join(', ')} on ${run.date}`;
}

function command(run) {
  const args = [
    ...(run.quick ? ['--quick'] : []),
    ...(run.scope === 'partial' ? ['--only', run.scenarios.join(',')] : []),
  ];
  return `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
}

export function cell(value, [min, max, n] = []) {
  if (value === null || value === undefined) return '–';
  return n > 1 ? `${value} (${min}–${max})` : String(value);
}

/** The met column: a skipped row says why, a crashed one says so. */
export function metText(r) {
  if (r.crashed) return 'CRASHED';
  if (r.skipped || r.note?.startsWith('skipped:')) return r.note;
  return r.met === null || r.met === undefined ? '–' : r.met ? 'yes' : 'NO';
}

/** A markdown table padded the way biome formats one. */
export function table(header, lines) {
  const widths = header.map((h, i) => Math.max(3, h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l) => `| ${l.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [fmt(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...lines.map(fmt)];
}

function rowCells(r) {
  const unit = r.unit ? ` ${r.unit}` : '';
  return [
    `${r.metric}${r.baselineName ? ` (vs ${r.baselineName})` : ''}`,
    r.ours === null ? '–' : `${cell(r.ours, r.spread?.ours)}${unit}`,
    r.baseline === null ? '–' : `${cell(r.baseline, r.spread?.baseline)}${unit}`,
    r.ratio === null ? '–' : `${r.ratio}×`,
    r.target ?? '–',
    metText(r),
  ];
}

function runHeader(run, rows, results) {
  const runtime = run.runtimeS === null ? '(run time not recorded)' : `in ${Math.round(run.runtimeS)} s`;
  const reps = run.reps === null ? '' : `, ${run.reps} rep(s)`;
  const out = [`## ${runTitle(run)}`, ''];
  const shown = run.scenarios.filter((s) => rows.some((r) => r.scenario === s));
  const replaced = run.scenarios.filter((s) => !shown.includes(s));
  const what =
    run.scope === 'full'
      ? `Written by \`${command(run)}\` ${runtime}${reps}.`
      : `Written by \`${command(run)}\` ${runtime}${reps}; its rows replace any earlier rows of ${run.scenarios.join(', ')}.`;
  out.push(
    `${what} Every row in this section was measured in this run: ${shown.join(', ')}.${replaced.length ? ` Its rows of ${replaced.join(', ')} were replaced by ${laterRuns(run, replaced, results)}.` : ''}`,
  );
  if (run.note) out.push('', run.note);
  out.push('', '### Environment', '');
  for (const [k, v] of Object.entries(run.env)) out.push(`- **${k}**: ${v}`);
  out.push('');
  return out;
}

function laterRuns(run, scenarios, results) {
  const later = results.runs.filter(
    (r) => r.id !== run.id && results.rows.some((row) => row.run === r.id && scenarios.includes(row.scenario)),
  );
  return later.length ? later.map((r) => `the ${runName(r)}`).join(' and ') : 'nothing (rows lost)';
}

/** BENCHMARKS.md: a short preamble, then each run under its own header, then findings (by hand, cites no row). */
export function renderBenchmarks(results, findings = '') {
  checkResults(results);
  const out = ['# Benchmarks', ''];
  out.push(
    '`npm run bench` starts its own redis-server and ten sshd machines (127.0.42.1–10, `SetEnv SHLVL=1`) and compares',
    'us with a baseline measured in the same run, interleaved. Ratios are oriented so that **higher is better**',
    '(baseline/ours for times and sizes, ours/baseline for rates). Figures are medians over the repetitions, with',
    '(min–max); latency rows are percentiles over their samples. The box is shared with other test suites, so absolute',
    'figures are noisy; the ratios are the point.',
    '',
    'This file is rendered from `test/bench/results/latest.json` (`node test/bench/run.mjs --report`), and a test checks',
    'that it still is: nothing here is typed in by hand. Each run has its own header below; a partial rerun',
    '(`--only`) writes only its own section, with its own date.',
    '',
    'Rerun: `npm run bench` (full, writes this file and `test/bench/results/latest.json`), or',
    '`npm run bench -- --quick` (tiny sizes, writes to a temporary directory; part of `npm test`).',
    '',
  );
  for (const run of results.runs) {
    const rows = results.rows.filter((r) => r.run === run.id);
    out.push(...runHeader(run, rows, results));
    for (const id of run.scenarios) {
      const mine = rows.filter((r) => r.scenario === id);
      if (mine.length === 0) continue;
      const { title, describe } = run.methods[id];
      out.push(`### ${title}`, '', describe, '');
      out.push(...table(['metric', 'ours', 'baseline', 'ratio', 'target', 'met'], mine.map(rowCells)));
      const notes = [
        ...new Set(mine.filter((r) => r.note && metText(r) !== r.note).map((r) => `- _${r.metric}_: ${r.note}`)),
      ];
      if (notes.length) out.push('', ...notes);
      for (const r of mine.filter((x) => x.series)) out.push('', ...seriesChart(r.series));
      out.push('');
    }
  }
  if (findings) out.push(findings);
  return `${out.join('\n').trimEnd()}\n`;
}

const BAR_MS = 5; // one bar character per 5 ms: the 100 ms line at 20
const BAR_MAX = 40;

/**
 * A row's stepped series ({ rates, limitMs, ours: [p99 ms | null], raw: [...], firstTry? }, the capacity row) as a
 * text chart: one bar per side per offered rate, its p99, and a `|` where the limit falls. null: that side had
 * stopped at a lower rate; 'unstarted': some of its tasks never started (p99 unbounded). firstTry: { ours, raw },
 * the first try's p99 of a step that was tried twice (the bar is the repeat's), else null.
 */
export function seriesChart(series) {
  const limitAt = Math.round(series.limitMs / BAR_MS);
  const bar = (ms) => {
    const n = Math.min(BAR_MAX, Math.round(ms / BAR_MS));
    const body = Array.from({ length: Math.max(n, limitAt + 1) }, (_, i) => (i === limitAt ? '|' : i < n ? '#' : ' '));
    return `${body.join('').trimEnd()}${ms / BAR_MS > BAR_MAX ? '>' : ''}`;
  };
  const width = Math.max(...series.rates.map((r) => String(r).length));
  const lines = [`dispatch p99 (ms) by offered rate (tasks/s); one # per ${BAR_MS} ms, | at ${series.limitMs} ms`];
  for (const [i, rate] of series.rates.entries()) {
    for (const side of ['ours', 'raw']) {
      const ms = series[side][i];
      const first = series.firstTry?.[side]?.[i];
      const again = first === null || first === undefined ? '' : ` (tried twice; first try ${tryText(first)})`;
      const head = `${side === 'ours' ? `${String(rate).padStart(width)}/s` : ' '.repeat(width + 2)} ${side.padEnd(4)} `;
      if (ms === null || ms === undefined) lines.push(`${head}(stopped at a lower rate)`);
      else if (typeof ms !== 'number')
        lines.push(`${head}${bar(Number.POSITIVE_INFINITY)} some tasks never started${again}`);
      else lines.push(`${head}${bar(ms)} ${ms}${again}`);
    }
  }
  return ['```text', ...lines, '```'];
}

function tryText(ms) {
  return typeof ms === 'number' ? `${ms} ms` : 'some tasks never started';
}

/**
 * README's headline rows: [scenario, metric pattern, baseline pattern]. A headline whose row is missing from the
 * results is left out of the block, and the block's first line names the runs its rows come from.
 */
const HEADLINES = [
  ['ten-machines', /^\d+ × true$/, /parallel-ssh|ansible -m command|ControlMaster|fresh|raw ssh2/],
  ['ten-machines', /^\d+ × sleep/, /raw ssh2/],
  ['ten-machines', /^cold fan-out/, /parallel-ssh|ansible -m command|raw ssh2/],
  ['one-machine', /./, /./],
  ['p1-load', /p99/, /./],
  ['latency', /^idle fleet/, /./],
  ['enqueue', /./, /./],
  ['backlog', /^(list|create P1)/, /./],
  ['footprint', /./, /./],
  ['crash', /./, /./],
  ['cost', /^(Redis commands|bridge CPU|capacity)/, /./],
  ['scale', /bridge processes$|Cluster$|^routing/, /./],
];

/** README's block between the markers: headline rows, each with the run that measured it. */
export function renderReadmeBlock(results) {
  checkResults(results);
  const picked = HEADLINES.flatMap(([scenario, metric, baseline]) =>
    results.rows.filter(
      (r) => r.scenario === scenario && metric.test(r.metric) && baseline.test(r.baselineName ?? '') && !r.crashed,
    ),
  );
  const runs = results.runs.filter((run) => picked.some((r) => r.run === run.id));
  const label = (id) => `run ${runs.findIndex((r) => r.id === id) + 1}`;
  const lines = picked.map((r) => [...rowCells(r).slice(0, 5), metText(r), label(r.run)]);
  return [
    README_BEGIN,
    '',
    'Rendered from `test/bench/results/latest.json` by `node test/bench/run.mjs --report` (a test checks it); every',
    `figure comes from ${runs.map((run, i) => `run ${i + 1}, the ${runName(run)}`).join('; ')}.`,
    '',
    ...table(['metric', 'ours', 'baseline', 'ratio', 'target', 'met', 'run'], lines),
    '',
    README_END,
  ].join('\n');
}

/** The README with its block replaced by `block`; throws when the markers are missing. */
export function spliceReadme(readme, block) {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${README_BEGIN} … ${README_END} block`);
  return `${readme.slice(0, begin)}${block}${readme.slice(end + README_END.length)}`;
}
