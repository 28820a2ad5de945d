// Result rows and their outputs: the console table and the results JSON ({scenario, metric, ours, baseline, ratio,
// target, met} and the spread of each; run.mjs adds the run). BENCHMARKS.md is render.mjs's. Ratios are oriented
// so that higher is better: baseline/ours for times and sizes, ours/baseline for rates.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { cell, metText } from './render.mjs';
import { summary } from './stats.mjs';

/**
 * One comparison. `better`: 'higher' (rates) or 'lower' (times, bytes). `target`: { ratio: 0.8 } (ratio at
 * least), { oursAtMost: 50 } (an absolute bound on ours), or null (reported, no target).
 */
export function row(
  scenario,
  metric,
  { unit, better, ours, baseline = null, baselineName = null, target = null, note },
) {
  const o = summary(ours);
  const b = baseline?.length ? summary(baseline) : null;
  const ratio = b ? (better === 'higher' ? o.median / b.median : b.median / o.median) : null;
  let met = null;
  let targetText = null;
  if (target?.ratio !== undefined) {
    targetText = `ratio ≥ ${target.ratio}`;
    met = ratio === null ? null : ratio >= target.ratio;
  } else if (target?.oursAtMost !== undefined) {
    targetText = `ours ≤ ${target.oursAtMost} ${unit}`;
    met = o.median <= target.oursAtMost;
  }
  return {
    scenario,
    metric,
    unit,
    ours: round(o.median),
    baseline: b ? round(b.median) : null,
    baselineName,
    ratio: ratio === null ? null : round(ratio, 3),
    target: targetText,
    met,
    spread: { ours: [round(o.min), round(o.max), o.n], baseline: b ? [round(b.min), round(b.max), b.n] : null },
    ...(note ? { note } : {}),
  };
}

/** A scenario that threw: reported as a row so the run still writes its results, and the exit code says so. */
export function crashRow(scenario, error) {
  return {
    scenario,
    metric: 'crashed',
    unit: null,
    ours: null,
    baseline: null,
    baselineName: null,
    ratio: null,
    target: null,
    met: false,
    crashed: true,
    note: String(error?.stack ?? error)
      .split('\n')
      .slice(0, 4)
      .join(' | '),
  };
}

function round(x, digits) {
  if (!Number.isFinite(x)) return x;
  const d = digits ?? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : Math.abs(x) >= 1 ? 2 : 3);
  return Number(x.toFixed(d));
}

export function printTable(rows) {
  const header = [
    'scenario',
    'metric',
    'unit',
    'ours med (min–max)',
    'baseline med (min–max)',
    'ratio',
    'target',
    'met',
  ];
  const lines = rows.map((r) => [
    r.scenario,
    r.metric,
    r.unit ?? '',
    cell(r.ours, r.spread?.ours),
    r.baseline === null ? '–' : `${cell(r.baseline, r.spread?.baseline)}${r.baselineName ? ` ${r.baselineName}` : ''}`,
    r.ratio === null ? '–' : `${r.ratio}×`,
    r.target ?? '–',
    metText(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const fmt = (l) => l.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(`\n${fmt(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const l of lines) console.log(fmt(l));
}

export async function writeJson(path, rows) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(rows, null, 2)}\n`);
}

/** A row the run did not measure, kept in the results and the report with why: "skipped: ansible is not installed". */
export function skippedRow(scenario, metric, baselineName, why) {
  return {
    scenario,
    metric,
    unit: null,
    ours: null,
    baseline: null,
    baselineName,
    ratio: null,
    target: null,
    met: null,
    skipped: true,
    note: `skipped: ${why}`,
  };
}
