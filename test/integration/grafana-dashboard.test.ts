// docker/grafana/rediacc.json queries only metrics that exist: every rediacc_ name in its expressions is exposed by
// a real bridge's or dashboard's /metrics.
import { readFileSync } from 'node:fs';
import { startBridge } from '@rediacc/bridge';
import { createLogger } from '@rediacc/core';
import { createDashboard } from '@rediacc/dashboard';
import { createClient } from '@rediacc/producer';
import { createDashboardToken } from '@rediacc/queue';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { addTeamWithMachine, metricNames, parseProm, sampleValue, useHarness } from '../harness/index.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const h = useHarness();
const DASHBOARD = new URL('../../docker/grafana/rediacc.json', import.meta.url);
const HISTOGRAM_SERIES = /_(bucket|count|sum)$/;

/** Every metric name the dashboard's queries and variables use. */
function queriedNames(json: string): Set<string> {
  return new Set([...json.matchAll(/rediacc_[a-z0-9_]+/g)].map((m) => m[0]));
}

describe('grafana dashboard', () => {
  it('queries only metric names a bridge or the dashboard exposes', async () => {
    const json = readFileSync(DASHBOARD, 'utf8');
    const parsed = JSON.parse(json) as { panels: { targets: { expr: string }[] }[] };
    expect(parsed.panels.length).toBeGreaterThan(0);
    const server = await h.redis();
    const machine = await h.machine();
    const client = createClient({ redis: server.url });
    const redis = new Redis(server.url);
    const teamKeys = await addTeamWithMachine(client, 'grafana', machine);
    const bridge = await startBridge(
      { teamKeys, redisUrl: server.url, teams: ['grafana'], metricsPort: 0 },
      { logger },
    );
    const app = await createDashboard({ redis: server.url });
    try {
      // A task opens a pooled connection, which the bridge then samples (load, memory, disk gauges get values).
      const { taskId } = await client.tasks.create({ team: 'grafana', machine: 'm1', command: 'true' });
      expect((await client.tasks.wait(taskId, { timeoutMs: 20_000 })).status).toBe('COMPLETED');
      await bridge.sampler.sampleAll();
      const fromBridge = await (await fetch(`http://127.0.0.1:${bridge.metricsPort}/metrics`)).text();
      const { token } = await createDashboardToken(redis, { role: 'viewer' });
      const fromDashboard = (await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } })).body;
      const labels = { team: 'grafana', machine: 'm1' };
      expect(sampleValue(parseProm(fromBridge), 'rediacc_machine_memory_total_bytes', labels)).toBeGreaterThan(0);
      const exposed = new Set([...metricNames(fromBridge), ...metricNames(fromDashboard)]);
      const queried = queriedNames(json);
      expect(queried.size).toBeGreaterThan(5);
      const missing = [...queried].filter(
        (name) => !exposed.has(name) && !exposed.has(name.replace(HISTOGRAM_SERIES, '')),
      );
      expect(missing).toEqual([]);
    } finally {
      await app.close();
      await bridge.close();
      redis.disconnect();
      await client.close();
    }
  });
});
