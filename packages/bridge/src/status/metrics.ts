// A bridge's Prometheus metrics, in a registry of its own (never prom-client's global one, so two bridges in one
// process do not mix). Labels are bounded: team, machine, lane, priority, outcome; never a task id.
// Times are in seconds; buckets reach an hour, since SSH tasks run long.
import type { MachineSample, TeamSlots } from '@rediacc/queue';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** How a task ended for good on this bridge. A failed try that will be retried counts as a retry instead. */
export type FinishOutcome = 'completed' | 'failed' | 'cancelled';

/** Seconds: 50 ms up to an hour. */
export const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1_200, 1_800, 3_600];

export interface BridgeMetrics {
  readonly registry: Registry;
  taskFinished(team: string, machine: string, outcome: FinishOutcome, durationSeconds: number | undefined): void;
  taskRetried(team: string): void;
  /** Creation → first claim of a task, by its priority. */
  taskClaimed(team: string, priority: number, waitSeconds: number): void;
  /** A pooled SSH connection to a machine opened (ok) or failed to. */
  sshConnection(team: string, machine: string, ok: boolean): void;
  /** The last sample of a machine (a number the sample could not tell stays at its previous value). */
  machineSampled(team: string, machine: string, sample: MachineSample): void;
}

export function createBridgeMetrics(slots: () => Record<string, TeamSlots>): BridgeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rediacc_bridge_' });
  const finished = new Counter({
    name: 'rediacc_tasks_finished_total',
    help: 'Tasks that ended for good on this bridge, by outcome (completed, failed, cancelled).',
    labelNames: ['team', 'machine', 'outcome'] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'rediacc_task_retries_total',
    help: 'Failed tries of tasks that will be retried.',
    labelNames: ['team'] as const,
    registers: [registry],
  });
  const connections = new Counter({
    name: 'rediacc_ssh_connections_total',
    help: 'SSH connections opened to machines (each carries a remote agent).',
    labelNames: ['team', 'machine'] as const,
    registers: [registry],
  });
  const connectionFailures = new Counter({
    name: 'rediacc_ssh_connection_failures_total',
    help: 'SSH connections to machines that could not be opened (unreachable, refused, host key mismatch, …).',
    labelNames: ['team', 'machine'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'rediacc_task_duration_seconds',
    help: 'Time from the start of the last try to the end of a task, in seconds.',
    labelNames: ['team'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const wait = new Histogram({
    name: 'rediacc_task_queue_wait_seconds',
    help: 'Time from the creation of a task to its first claim by a bridge, in seconds.',
    labelNames: ['team', 'priority'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'rediacc_bridge_slots',
    help: 'Task slots of this bridge per team and lane: busy now, and free for one more task.',
    labelNames: ['team', 'lane', 'state'] as const,
    registers: [registry],
    collect() {
      for (const [team, lanes] of Object.entries(slots())) {
        for (const [lane, { busy, free }] of Object.entries(lanes)) {
          this.set({ team, lane, state: 'busy' }, busy);
          this.set({ team, lane, state: 'free' }, free);
        }
      }
    },
  });
  const machineGauge = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ['team', 'machine'] as const, registers: [registry] });
  const samples = {
    load1: machineGauge('rediacc_machine_load1', 'Load average over one minute of a machine, from its last sample.'),
    memUsedBytes: machineGauge(
      'rediacc_machine_memory_used_bytes',
      'Memory in use on a machine (total − available), from its last sample.',
    ),
    memTotalBytes: machineGauge('rediacc_machine_memory_total_bytes', 'Memory of a machine, from its last sample.'),
    diskFreeBytes: machineGauge(
      'rediacc_machine_disk_free_bytes',
      "Free space on the disk of a machine's run directory, from its last sample.",
    ),
  };
  return {
    registry,
    taskFinished(team, machine, outcome, durationSeconds) {
      finished.inc({ team, machine, outcome });
      if (durationSeconds !== undefined && durationSeconds >= 0) duration.observe({ team }, durationSeconds);
    },
    taskRetried(team) {
      retries.inc({ team });
    },
    taskClaimed(team, priority, waitSeconds) {
      wait.observe({ team, priority: String(priority) }, Math.max(0, waitSeconds));
    },
    sshConnection(team, machine, ok) {
      (ok ? connections : connectionFailures).inc({ team, machine });
    },
    machineSampled(team, machine, sample) {
      for (const [field, gauge] of Object.entries(samples)) {
        const value = sample[field as keyof typeof samples];
        if (value !== null) gauge.set({ team, machine }, value);
      }
    },
  };
}
