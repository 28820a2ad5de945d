import { describe, expect, it } from 'vitest';
import { createBridgeMetrics, DURATION_BUCKETS } from './metrics.js';

const idle = () => ({ A: { normal: { busy: 1, free: 2 }, critical: { busy: 0, free: 3 } } });

describe('createBridgeMetrics', () => {
  it('keeps each bridge in its own registry, so two in one process do not mix', async () => {
    const one = createBridgeMetrics(idle);
    const two = createBridgeMetrics(idle);
    one.taskFinished('A', 'm1', 'completed', 2);
    const text = await two.registry.metrics();
    expect(text).not.toMatch(/rediacc_tasks_finished_total\{/);
    expect(await one.registry.metrics()).toContain(
      'rediacc_tasks_finished_total{team="A",machine="m1",outcome="completed"} 1',
    );
  });

  it('times in seconds with buckets up to an hour, and reads the slots on each scrape', async () => {
    expect(DURATION_BUCKETS.at(-1)).toBe(3_600);
    const metrics = createBridgeMetrics(idle);
    metrics.taskFinished('A', 'm1', 'failed', 1_500);
    metrics.taskClaimed('A', 4, -1);
    const text = await metrics.registry.metrics();
    expect(text).toContain('rediacc_task_duration_seconds_bucket{le="1800",team="A"} 1');
    expect(text).toContain('rediacc_task_duration_seconds_bucket{le="1200",team="A"} 0');
    expect(text).toContain('rediacc_task_queue_wait_seconds_sum{team="A",priority="4"} 0');
    expect(text).toContain('rediacc_bridge_slots{team="A",lane="critical",state="free"} 3');
    expect(text).toContain('rediacc_bridge_slots{team="A",lane="normal",state="busy"} 1');
  });

  it('sets the machine gauges from a sample, keeping the last value of what a sample could not tell', async () => {
    const metrics = createBridgeMetrics(idle);
    const sample = { load1: 1.5, load5: 1, load15: 1, memUsedBytes: 10, memTotalBytes: 40, diskFreeBytes: 99 };
    metrics.machineSampled('A', 'm1', sample);
    metrics.machineSampled('A', 'm1', { ...sample, load1: null, diskFreeBytes: 77 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('rediacc_machine_load1{team="A",machine="m1"} 1.5');
    expect(text).toContain('rediacc_machine_memory_used_bytes{team="A",machine="m1"} 10');
    expect(text).toContain('rediacc_machine_memory_total_bytes{team="A",machine="m1"} 40');
    expect(text).toContain('rediacc_machine_disk_free_bytes{team="A",machine="m1"} 77');
  });
});
