// BENCHMARKS.md and README's bench block are exactly what test/bench/render.mjs makes of the committed
// results (test/bench/results/latest.json): a figure typed in by hand, or a results file edited without rendering
// again, fails here. Pure rendering: nothing is measured.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

type Results = { runs: Run[]; rows: Row[] };
type Run = Record<string, unknown> & { id: string; scope: 'full' | 'partial'; scenarios: string[] };
type Row = Record<string, unknown> & { scenario: string; metric: string; run?: string };
type Render = {
  checkResults(results: unknown): Results;
  mergeRun(previous: Results, run: Run, rows: Row[], order: string[]): Results;
  renderBenchmarks(results: Results, findings?: string): string;
  renderReadmeBlock(results: Results): string;
  seriesChart(series: Record<string, unknown>): string[];
  spliceReadme(readme: string, block: string): string;
  README_BEGIN: string;
  README_END: string;
};

const root = fileURLToPath(new URL('../..', import.meta.url));
const renderPath: string = new URL('./render.mjs', import.meta.url).href;
const render = (await import(renderPath)) as Render;
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');
const results = JSON.parse(read('test/bench/results/latest.json')) as Results;

/** The first line where `committed` differs from `rendered`, or null. */
function drift(committed: string, rendered: string): string | null {
  const a = committed.split('\n');
  const b = rendered.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: committed "${a[i]}", rendered "${b[i]}"`;
  }
  return null;
}

/** README lines outside the bench block that cite a ratio (`0.8×`, `30×`): such a figure is typed by hand. */
function handTypedRatios(readme: string): string[] {
  const begin = readme.indexOf(render.README_BEGIN);
  const end = readme.indexOf(render.README_END);
  const outside = `${readme.slice(0, begin)}\n${readme.slice(end + render.README_END.length)}`;
  return outside.split('\n').filter((line) => /\d+(\.\d+)?×/.test(line));
}

function readmeBlock(readme: string): string {
  const begin = readme.indexOf(render.README_BEGIN);
  const end = readme.indexOf(render.README_END);
  return readme.slice(begin, end + render.README_END.length);
}

describe('BENCHMARKS.md', () => {
  it('is the rendering of the committed results and findings, line for line', () => {
    const rendered = render.renderBenchmarks(results, read('test/bench/findings.md'));
    expect(drift(read('BENCHMARKS.md'), rendered)).toBeNull();
  });

  it('the check sees a figure edited by hand', () => {
    const rendered = render.renderBenchmarks(results, read('test/bench/findings.md'));
    const first = /\d+\.\d+×/.exec(rendered)?.[0] ?? '';
    expect(first).not.toBe('');
    const edited = rendered.replace(first, `9${first}`);
    expect(drift(edited, rendered)).toContain(`9${first}`);
  });

  it("findings (written by hand) cite no ratio: the ratios are the tables'", () => {
    const cited = read('test/bench/findings.md')
      .split('\n')
      .filter((line) => /\d+(\.\d+)?×/.test(line));
    expect(cited).toEqual([]);
  });

  it('every row names a recorded run with its date, scope, environment and method', () => {
    expect(() => render.checkResults(results)).not.toThrow();
    for (const row of results.rows) expect(results.runs.map((r) => r.id)).toContain(row.run);
    const [first] = results.rows;
    const orphan = { ...results, rows: [...results.rows, { ...first, run: 'no-such-run' } as Row] };
    expect(() => render.checkResults(orphan)).toThrow(/no-such-run, which is not recorded/);
  });
});

describe('a partial rerun', () => {
  const method = (id: string) => ({ title: `Scenario ${id}`, describe: `How ${id} is measured.` });
  const run = (id: string, scope: 'full' | 'partial', scenarios: string[]): Run => ({
    id,
    date: id,
    scope,
    scenarios,
    quick: false,
    reps: 3,
    runtimeS: 60,
    env: { node: 'v20' },
    methods: Object.fromEntries(scenarios.map((s) => [s, method(s)])),
  });
  const row = (scenario: string, ours: number): Row => ({
    scenario,
    metric: `${scenario} metric`,
    unit: 'ms',
    ours,
    baseline: 2,
    baselineName: 'raw',
    ratio: 1,
    target: null,
    met: null,
  });
  const full = render.mergeRun(
    { runs: [], rows: [] },
    run('2026-01-01T00:00:00Z', 'full', ['a', 'b']),
    [row('a', 11), row('b', 22)],
    ['a', 'b'],
  );
  const rerun = render.mergeRun(full, run('2026-01-02T00:00:00Z', 'partial', ['a']), [row('a', 33)], ['a', 'b']);
  const text = render.renderBenchmarks(rerun);
  const fullSection = text.slice(text.indexOf('## Full run on 2026-01-01'), text.indexOf('## Rerun of a on'));
  const rerunSection = text.slice(text.indexOf('## Rerun of a on 2026-01-02T00:00:00Z'));

  it('replaces its scenarios rows and keeps the others with the run that measured them', () => {
    expect(rerun.rows.map((r) => [r.scenario, r.ours, r.run])).toEqual([
      ['a', 33, '2026-01-02T00:00:00Z'],
      ['b', 22, '2026-01-01T00:00:00Z'],
    ]);
  });

  it('gets its own header and date; its rows never sit under the full run header', () => {
    expect(fullSection).toContain('| b metric (vs raw) | 22 ms');
    expect(fullSection).not.toContain('a metric');
    expect(fullSection).toContain('Its rows of a were replaced by the rerun of a on 2026-01-02T00:00:00Z.');
    expect(rerunSection).toContain('`npm run bench -- --only a`');
    expect(rerunSection).toContain('| a metric (vs raw) | 33 ms');
    expect(rerunSection).not.toContain('b metric');
  });

  it('drops a run none of whose rows is left', () => {
    const again = render.mergeRun(rerun, run('2026-01-03T00:00:00Z', 'partial', ['a']), [row('a', 44)], ['a', 'b']);
    expect(again.runs.map((r) => r.id)).toEqual(['2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z']);
  });

  it('a row whose peer is missing says so in the report instead of disappearing', () => {
    const skipped = { ...row('b', 0), ours: null, baseline: null, ratio: null, skipped: true, run: full.runs[0]?.id };
    const withSkip = { ...full, rows: [...full.rows, { ...skipped, note: 'skipped: ansible is not installed' }] };
    expect(render.renderBenchmarks(withSkip)).toMatch(
      /\| b metric \(vs raw\) +\| – +\| – +\| – +\| – +\| skipped: ansible is not installed \|/,
    );
  });
});

describe('the capacity chart', () => {
  const run = {
    id: '2026-01-04T00:00:00Z',
    date: '2026-01-04T00:00:00Z',
    scope: 'full' as const,
    scenarios: ['cost'],
    quick: false,
    reps: 3,
    runtimeS: 60,
    env: { node: 'v20' },
    methods: { cost: { title: '10. Cost per task, and capacity', describe: 'How.' } },
  };
  const capacityRow = {
    scenario: 'cost',
    metric: 'capacity: highest offered rate with dispatch p99 < 100 ms (sleep 0.05 over ten)',
    unit: 'tasks/s',
    ours: 40,
    baseline: 60,
    baselineName: 'raw BullMQ + ssh2',
    ratio: 0.667,
    target: 'ratio ≥ 0.8',
    met: false,
    run: run.id,
    series: { rates: [20, 40, 60, 80], limitMs: 100, ours: [12, 48, 350, null], raw: [9, 11, 30, 'unstarted'] },
  };

  it('is drawn under its table from the stored series, a bar per side and rate, the limit marked', () => {
    const text = render.renderBenchmarks({ runs: [run], rows: [capacityRow] });
    const chart = text.slice(text.indexOf('```text'), text.lastIndexOf('```') + 3);
    expect(chart.split('\n')).toEqual(render.seriesChart(capacityRow.series));
    expect(chart).toMatch(/^20\/s ours ## +\| 12$/m);
    expect(chart).toMatch(/^60\/s ours #{20}\|#{19}> 350$/m);
    expect(chart).toMatch(/^80\/s ours \(stopped at a lower rate\)$/m);
    expect(chart).toMatch(/^ {5}raw {2}#{20}\|#{19}> some tasks never started$/m);
  });

  it('a step tried twice shows the repeat, with the first try beside it', () => {
    const firstTry = { ours: [null, 227.7, null, null], raw: [null, null, 'unstarted', null] };
    const chart = render.seriesChart({ ...capacityRow.series, firstTry }).join('\n');
    expect(chart).toMatch(/^40\/s ours #{10} +\| 48 \(tried twice; first try 227\.7 ms\)$/m);
    expect(chart).toMatch(/^ {5}raw {2}#{6} +\| 30 \(tried twice; first try some tasks never started\)$/m);
    expect(chart).toMatch(/^20\/s ours ## +\| 12$/m);
  });

  it('results without it (written before the cost rows existed) render without a chart', () => {
    const withoutSeries: Results = {
      ...results,
      rows: results.rows.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => k !== 'series')) as Row),
    };
    expect(render.renderBenchmarks(withoutSeries, '')).not.toContain('```text');
    const { series: _, ...plain } = capacityRow;
    expect(render.renderBenchmarks({ runs: [run], rows: [plain] })).not.toContain('```text');
  });
});

describe("README's benchmark figures", () => {
  const readme = read('README.md');

  it('the bench block is the rendering of the committed results', () => {
    expect(drift(readmeBlock(readme), render.renderReadmeBlock(results))).toBeNull();
  });

  it('the block names the run of every row', () => {
    const block = render.renderReadmeBlock(results);
    for (const run of results.runs) expect(block).toContain(String(run.date));
  });

  it('no line outside the block cites a ratio', () => {
    expect(handTypedRatios(readme)).toEqual([]);
  });

  it('the checks see a figure typed by hand, inside the block or outside it', () => {
    const block = render.renderReadmeBlock(results);
    const inside = block.replace(/\d+\.\d+×/, '99.9×');
    expect(drift(readmeBlock(render.spliceReadme(readme, inside)), block)).toContain('99.9×');
    const outside = readme.replace('## Benchmarks\n', '## Benchmarks\n\nWe are 30× faster than pssh.\n');
    expect(handTypedRatios(outside)).toEqual(['We are 30× faster than pssh.']);
  });
});
