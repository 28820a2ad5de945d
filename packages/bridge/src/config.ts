// The bridge's configuration, validated once at start. `batchSize` is the docs' tuning knob
// ("increase batch_size in the bridge configuration"): P3–P5 tasks a bridge runs at once per team.
// `criticalSlots` more are reserved for P1–P2, which may also use any free normal slot.
import { hostname } from 'node:os';
import { maxConcurrentSchema, redisTargetSchema, teamNameSchema } from '@rediacc/core';
import { z } from 'zod';

export const bridgeNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,128}$/, 'bridge name must be 1-128 letters, digits, ".", "_" or "-"');

/**
 * The bridge's defaults and bounds, in one place: the config schema below and `rediacc bridge start`'s flags both
 * read them, so the two never disagree.
 */
export const BRIDGE_DEFAULTS = {
  batchSize: 10,
  criticalSlots: 1,
  outputCapBytes: 1024 * 1024,
  shutdownGraceMs: 30_000,
  onShutdown: 'handback',
  metricsHost: '127.0.0.1',
} as const;

export const BRIDGE_LIMITS = {
  batchSize: { min: 1, max: 1_000 },
  criticalSlots: { min: 0, max: 1_000 },
  outputCapBytes: { min: 1_024, max: 64 * 1024 * 1024 },
} as const;

export const bridgeConfigSchema = z
  .object({
    /** redis://…, redis+sentinel://… or redis+cluster://… (core's redis-target.ts). */
    redisUrl: redisTargetSchema,
    teams: z.array(teamNameSchema).min(1, 'a bridge serves at least one team (--team NAME[,NAME…])'),
    batchSize: z
      .number()
      .int()
      .min(BRIDGE_LIMITS.batchSize.min, `batch size must be at least ${BRIDGE_LIMITS.batchSize.min}`)
      .max(BRIDGE_LIMITS.batchSize.max, `batch size must be at most ${BRIDGE_LIMITS.batchSize.max}`)
      .default(BRIDGE_DEFAULTS.batchSize),
    /** Slots per team only P1/P2 tasks may use, on top of batchSize. */
    criticalSlots: z
      .number()
      .int()
      .min(BRIDGE_LIMITS.criticalSlots.min, `critical slots must be ${BRIDGE_LIMITS.criticalSlots.min} or more`)
      .max(BRIDGE_LIMITS.criticalSlots.max, `critical slots must be at most ${BRIDGE_LIMITS.criticalSlots.max}`)
      .default(BRIDGE_DEFAULTS.criticalSlots),
    /** Tasks one machine runs at once across the fleet, unless the machine's own maxConcurrent says otherwise. */
    maxPerMachine: maxConcurrentSchema.optional(),
    /** How long a machine slot lease lives without renewal (a crashed bridge's slots free up after this). */
    machineSlotLeaseMs: z.number().int().min(1_000).max(600_000).default(30_000),
    /**
     * A task parked for a slot (its machine or batch full) starts when a release wakes it; this is the safety net:
     * after about this long (times how many slots' worth of tasks wait before it, at most 60 times) it looks for a
     * slot itself, so a slot whose holder's bridge died is found once its lease has run out.
     */
    parkedCheckMs: z.number().int().min(100).max(600_000).default(5_000),
    name: bridgeNameSchema.default(() => `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, '_')),
    outputCapBytes: z
      .number()
      .int()
      .min(BRIDGE_LIMITS.outputCapBytes.min)
      .max(BRIDGE_LIMITS.outputCapBytes.max)
      .default(BRIDGE_DEFAULTS.outputCapBytes),
    connectTimeoutMs: z.number().int().min(100).default(10_000),
    keepaliveIntervalMs: z.number().int().min(0).default(10_000),
    keepaliveCountMax: z.number().int().min(1).default(3),
    /**
     * Runs one remote agent (one SSH connection) holds at once, at least: raised so that one team's slots on a
     * machine fit in `maxConnectionsPerMachine` agents (runsPerAgent).
     */
    runsPerConnection: z.number().int().min(1).max(100).default(5),
    maxConnectionsPerMachine: z.number().int().min(1).max(64).default(4),
    /** Seconds between TERM and KILL of a run's process tree on timeout. */
    killGraceSeconds: z.number().int().min(0).max(300).default(2),
    failFastMs: z.number().int().min(0).default(2_000),
    /**
     * How long a task's lock lasts without renewal (renewed at half). When a bridge dies, its tasks are handed to
     * another within about lockDurationMs + stalledIntervalMs (10-15 s by default). Short is safe here: a stall is
     * not a rerun, the next bridge re-attaches to the run on the machine.
     */
    lockDurationMs: z.number().int().min(1_000).default(10_000),
    /** How often this bridge looks for stalled tasks; use the same value on every bridge. */
    stalledIntervalMs: z.number().int().min(500).default(5_000),
    /** Stalls a task may have before BullMQ fails it ("job stalled more than allowable limit"). */
    maxStalledCount: z.number().int().min(1).default(3),
    /** Probe interval for runs whose end the bridge cannot hear directly (re-attached or killed). */
    pollMs: z.number().int().min(20).default(250),
    /** How often held tasks are checked against the cancel flags (backs up the cancel broadcast). */
    cancelCheckMs: z.number().int().min(100).default(2_000),
    /** On close (SIGTERM): how long running tasks may go on before they are handed back or killed. */
    shutdownGraceMs: z.number().int().min(0).default(BRIDGE_DEFAULTS.shutdownGraceMs),
    /** At the end of the grace period: hand running tasks back (their runs go on, another bridge re-attaches), or kill them. */
    onShutdown: z.enum(['handback', 'kill']).default(BRIDGE_DEFAULTS.onShutdown),
    /** team → vault secret key (base64). Wins over keysDir. Never logged. */
    teamKeys: z.record(teamNameSchema, z.string().min(1)).optional(),
    /** Directory of TEAM.key files (`rediacc team create` writes them to $RDC_HOME/keys). */
    keysDir: z.string().min(1).optional(),
    /** How long registry lookups (machine records) are cached. */
    registryTtlMs: z.number().int().min(0).default(5_000),
    /**
     * How often each machine with a live pooled connection is sampled (load, memory, disk free of the run
     * directory) into its machine status; 0: never. A sample unanswered within connectTimeoutMs counts as failed.
     */
    sampleIntervalMs: z
      .number()
      .int()
      .min(0, 'sampleIntervalMs must be 0 (no sampling) or more')
      .max(3_600_000, 'sampleIntervalMs must be at most 3600000 (1h; --sample-interval 1h)')
      .default(30_000),
    /** Serve Prometheus metrics at GET /metrics on this port (0: any free port); none when absent. */
    metricsPort: z.number().int().min(0).max(65_535).optional(),
    /** Address the metrics server binds to: loopback unless told otherwise. */
    metricsHost: z.string().min(1).default(BRIDGE_DEFAULTS.metricsHost),
    /** How often the alert engine reads the teams' failed-task alerts and evaluates their alert rules. */
    alertEvaluateMs: z.number().int().min(100).default(5_000),
    /** First delay before a failed webhook delivery is tried again (doubles each time, 10 tries). */
    alertRetryDelayMs: z.number().int().min(10).default(5_000),
    /** How often the team's finished tasks past their retention are archived, then removed (one bridge at a time). */
    archiveEveryMs: z.number().int().min(100).default(60_000),
  })
  .strict();

export type BridgeConfigInput = z.input<typeof bridgeConfigSchema>;
export type BridgeConfig = z.output<typeof bridgeConfigSchema>;

/**
 * Runs one agent holds: `runsPerConnection`, or more when a team's slots on this bridge (`batchSize` +
 * `criticalSlots`; a machine is one team's) would not fit in `maxConnectionsPerMachine` agents. So the pool never
 * holds a claimed task back: only the machine's fleet-wide limit (`maxPerMachine`, `max-concurrent`) does, and a
 * task waiting for that waits PENDING, without holding a slot of this bridge.
 */
export function runsPerAgent(
  config: Pick<BridgeConfig, 'batchSize' | 'criticalSlots' | 'runsPerConnection' | 'maxConnectionsPerMachine'>,
): number {
  const slots = config.batchSize + config.criticalSlots;
  return Math.max(config.runsPerConnection, Math.ceil(slots / config.maxConnectionsPerMachine));
}
