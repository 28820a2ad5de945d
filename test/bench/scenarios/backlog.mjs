// 6. Deep backlog: the reads the CLI and console run (`list queue --limit 5`, `inspect queue ID`, queue depth
// counts) and a P1 create, at 1,000 pending tasks and at a deep backlog (1,000,000; quick: 10,000); each should
// stay within 3× its time at 1,000. And the createMany rate while the backlog grows. Own redis-server, so the
// million tasks neither slow the other scenarios nor take long to remove.
import { join } from 'node:path';
import { startRedisServer } from '@rediacc/localstack';
import { createClient } from '@rediacc/producer';
import { addTeam } from '../fleet.mjs';
import { row } from '../report.mjs';
import { median, nowMs } from '../stats.mjs';

export const id = 'backlog';
export const title = '6. Deep backlog';
export const describe =
  'A team with N pending tasks (priorities 1–5, so both lanes are deep; no bridge running), on a redis-server of its own. Timed through the SDK calls the CLI makes (node start-up excluded): `tasks.list({limit: 5})` (`list queue --limit 5`), `tasks.inspect(id)` of a task in the middle of the backlog (`inspect queue ID`), `tasks.counts(team)` (queue depth per status and priority), and `tasks.create` of a P1 task; median of 20 calls each, at 1,000 pending (the baseline) and at N. Target: within 3× (ratio ≥ 0.33). The enqueue rate (`createMany`, batches of 1,000) is recorded per tenth of the growth: last tenth vs first.';

const TEAM = 'backlog';
const CALLS = 20;

export async function run({ fleet, sizes, log }) {
  const redis = await startRedisServer({ dir: join(fleet.dir, 'redis-backlog') });
  const client = createClient({ redis: redis.url });
  try {
    const machine = fleet.machines[0];
    await addTeam(fleet, TEAM, [machine], client);
    const spec = (i) => ({ team: TEAM, machine: machine.name, command: `echo backlog ${i}`, priority: 1 + (i % 5) });
    let total = 0;
    const grow = async (to) => {
      const start = nowMs();
      const from = total;
      while (total < to) {
        const k = Math.min(1000, to - total);
        await client.tasks.createMany(Array.from({ length: k }, (_, j) => spec(total + j)));
        total += k;
      }
      return (total - from) / ((nowMs() - start) / 1000);
    };
    const measure = async () => {
      const middle = await client.tasks.createMany([spec(total)]);
      total++;
      const ops = {
        'list --limit 5': () => client.tasks.list({ limit: 5 }),
        'inspect ID': () => client.tasks.inspect(middle[0].taskId),
        'queue depth (counts)': () => client.tasks.counts(TEAM),
        'create P1': () => client.tasks.create({ ...spec(0), priority: 1 }),
      };
      const out = {};
      for (const [name, op] of Object.entries(ops)) {
        for (let i = 0; i < 3; i++) await op();
        const times = [];
        for (let i = 0; i < CALLS; i++) {
          const start = nowMs();
          await op();
          times.push(nowMs() - start);
        }
        out[name] = median(times);
      }
      total += 3 + CALLS; // the P1 creates
      return out;
    };
    await grow(sizes.backlogBase);
    const base = await measure();
    log(`backlog at ${sizes.backlogBase}: ${fmt(base)}`);
    const rates = [];
    const step = Math.max(1000, Math.floor((sizes.backlog - total) / 10 / 1000) * 1000);
    while (total < sizes.backlog) {
      rates.push(await grow(Math.min(sizes.backlog, total + step)));
      log(`backlog ${total} pending: createMany ${rates.at(-1).toFixed(0)} tasks/s`);
    }
    const deep = await measure();
    const counts = await client.tasks.counts(TEAM);
    log(`backlog at ${counts.pending}: ${fmt(deep)}`);
    const rows = Object.keys(base).map((name) =>
      row(id, `${name} at ${sizes.backlog.toLocaleString('en')} pending`, {
        unit: 'ms',
        better: 'lower',
        ours: [deep[name]],
        baseline: [base[name]],
        baselineName: `same at ${sizes.backlogBase.toLocaleString('en')} pending`,
        target: { ratio: 0.33 },
      }),
    );
    rows.push(
      row(id, `createMany rate, last tenth of the growth to ${sizes.backlog.toLocaleString('en')}`, {
        unit: 'tasks/s',
        better: 'higher',
        ours: [rates.at(-1)],
        baseline: [rates[0]],
        baselineName: 'first tenth',
        note: `rate per tenth: ${rates.map((r) => r.toFixed(0)).join(', ')} tasks/s; pending at the end: ${counts.pending}`,
      }),
    );
    return rows;
  } finally {
    await client.close();
    await redis.stop();
  }
}

function fmt(ops) {
  return Object.entries(ops)
    .map(([k, v]) => `${k} ${v.toFixed(2)} ms`)
    .join(', ');
}
