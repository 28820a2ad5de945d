// docs/performance.md's generated blocks are exactly what test/bench/perf-report.mjs makes of the committed
// test/bench/results/profile-one.json (written by `node test/bench/profile-one.mjs 2000 --write`) and
// profile-one-before.json (`--write-before`, on the code before a round of cuts): a figure typed in by hand, or a
// results file edited without rendering again, fails here. Pure rendering: nothing is measured.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

type PerfBlock = { begin: string; end: string; file: string };
type PerfReport = {
  renderPerformance(data: unknown, which?: 'current' | 'before'): string;
  splicePerformance(doc: string, block: string, which?: 'current' | 'before'): string;
  summarizeProfile(
    profile: unknown,
    window?: { fromMs: number; toMs: number },
  ): { busy: number; areas: { area: string; share: number }[] };
  taskPath(
    trace: [number, string, number][],
    tasks: { created: number; done: number }[],
  ): { totalMs: number; steps: { what: string; seen: number; afterMs: number; atMs: number }[] };
  PERF_BLOCKS: Record<'current' | 'before', PerfBlock>;
};

const root = fileURLToPath(new URL('../..', import.meta.url));
const report = (await import(new URL('./perf-report.mjs', import.meta.url).href)) as PerfReport;
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

describe.each(['current', 'before'] as const)('docs/performance.md, its %s block', (which) => {
  const doc = read('docs/performance.md');
  const { begin, end, file } = report.PERF_BLOCKS[which];
  const block = doc.slice(doc.indexOf(begin), doc.indexOf(end) + end.length);
  const rendered = report.renderPerformance(JSON.parse(read(file)), which);

  it(`is the rendering of ${file}`, () => {
    expect(doc.indexOf(begin)).toBeGreaterThanOrEqual(0);
    expect(block).toBe(rendered);
  });

  it('the check sees a figure edited by hand', () => {
    const first = /\d+\.\d\d/.exec(rendered)?.[0] ?? '';
    expect(first).not.toBe('');
    expect(report.splicePerformance(doc, rendered.replace(first, `9${first}`), which)).not.toBe(doc);
  });
});

describe('the summaries profile-one.mjs stores', () => {
  it("a task's path: each send seen in half the tasks, by its median time since the create", () => {
    const tasks = [0, 100, 200].map((created) => ({ created, done: created + 10 }));
    const trace: [number, string, number][] = [
      [1, 'redis a', 1],
      [3, 'ssh channelData', 1],
      [101, 'redis a', 1],
      [102, 'redis heartbeat', 1],
      [105, 'ssh channelData', 1],
      [204, 'ssh channelData', 1],
      [205, 'redis a', 1],
      [206, 'redis a', 0],
    ];
    const path = report.taskPath(trace, tasks);
    expect(path.totalMs).toBe(10);
    expect(path.steps).toEqual([
      { what: 'redis a', roundTrip: true, seen: 3, atMs: 1, afterMs: 1 },
      { what: 'ssh channelData', roundTrip: true, seen: 3, atMs: 4, afterMs: 3 },
    ]);
  });

  it('the CPU profile counts only the samples within the window, idle apart', () => {
    const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0, columnNumber: 0 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(idle)') },
        { id: 2, callFrame: frame('parse', 'file:///x/node_modules/zod/v4/core/schemas.js') },
        { id: 3, callFrame: frame('wrapSafe', 'node:internal/modules/cjs/loader') },
      ],
      startTime: 0,
      samples: [3, 3, 2, 1, 2],
      timeDeltas: [1000, 1000, 1000, 1000, 1000], // µs: samples at 1, 2, 3, 4, 5 ms
    };
    const summary = report.summarizeProfile(profile, { fromMs: 3, toMs: 5 });
    expect(summary.busy).toBe(2);
    expect(summary.areas).toEqual([{ area: 'zod', share: 100 }]);
  });
});
