// A bridge: per team, one BullMQ worker per lane queue (team-lanes.ts), remote agents pooled per machine, a
// subscription to the teams' cancel broadcasts, and an orderly close: stop claiming, let running tasks finish
// within the grace period, then hand the rest back (their runs go on; the next bridge re-attaches) or kill them.
import { createLogger, type Logger, parseInput, parseReason, registryKeys, teamPrefix } from '@rediacc/core';
import {
  AuditWriter,
  asAccessDenied,
  cancelRequested,
  coalesceWrites,
  createRedis,
  recordAlert,
  resolveActor,
  waitReady,
} from '@rediacc/queue';
import { type Job, UnrecoverableError, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { RunCleaner, SshPool } from './agent/index.js';
import { startBridgeAlerting } from './alerting.js';
import { type BridgeConfig, type BridgeConfigInput, bridgeConfigSchema, runsPerAgent } from './config.js';
import { backoffStrategy, startTeamLanes, type TeamLanes } from './lanes/index.js';
import {
  type AuditFn,
  loadTeamKeys,
  machineRegistry,
  putBackUnstarted,
  stopAllTasks,
  stopTask,
  taskDataOf,
  taskProcessor,
} from './run/index.js';
import {
  type BridgeMetrics,
  createBridgeMetrics,
  type FinishOutcome,
  type Heartbeat,
  MachineSampler,
  type MetricsServer,
  serveMetrics,
  startHeartbeat,
} from './status/index.js';
import { startUpkeep } from './upkeep.js';
import { bridgeVersion } from './version.js';

export interface Bridge {
  readonly config: BridgeConfig;
  /** This bridge's Prometheus metrics (served at /metrics when metricsPort is set). */
  readonly metrics: BridgeMetrics;
  /** Samples the machines this bridge holds connections to (every sampleIntervalMs; `sampleAll()` for one round now). */
  readonly sampler: MachineSampler;
  /** The port the metrics server listens on, when there is one. */
  readonly metricsPort: number | undefined;
  /**
   * Stops claiming and waits for running tasks up to the grace period (default: the configured one), then hands
   * them back or kills them per `onShutdown`, and closes connections. Idempotent.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

export async function startBridge(
  input: BridgeConfigInput,
  options: { logger?: Logger /** Audit log actor (default: the Redis ACL user). */; actor?: string } = {},
): Promise<Bridge> {
  const config = parseInput(bridgeConfigSchema, input, 'bridge configuration');
  const logger = (options.logger ?? createLogger({ name: 'bridge' })).child({ bridge: config.name });
  // Every task's writes go through this connection (BullMQ's non-blocking commands too): one socket write per turn.
  const redis = coalesceWrites(createRedis(config.redisUrl, 'worker'));
  const subscriber = createRedis(config.redisUrl, 'worker');
  let teamKeys: Map<string, string>;
  try {
    await Promise.all([waitReady(redis, config.redisUrl), waitReady(subscriber, config.redisUrl)]);
    // A bridge for a team that does not exist would wait forever on an empty queue, and one without the team's
    // vault key would fail every task: say so at start.
    teamKeys = await loadTeamKeys(redis, config.teams, config);
    for (const team of config.teams) await assertCanConsume(redis, team);
  } catch (error) {
    redis.disconnect();
    subscriber.disconnect();
    throw error;
  }
  let slots: () => ReturnType<TeamLanes['slots']> = () => ({});
  const metrics = createBridgeMetrics(() => slots());
  let sampler: MachineSampler | undefined;
  const pool = new SshPool({
    ...config,
    runsPerConnection: runsPerAgent(config),
    onConnection: (target, ok, error) => {
      const { team, machine } = teamMachine(target.label);
      metrics.sshConnection(team, machine, ok);
      sampler?.connection(team, machine, ok, error);
    },
  });
  const registry = machineRegistry(redis, config, teamKeys);
  const machine = registry.machine;
  sampler = new MachineSampler({
    redis,
    bridgeId: config.name,
    intervalMs: config.sampleIntervalMs,
    timeoutMs: config.connectTimeoutMs,
    targets: () =>
      pool.connected().map(({ target, agent }) => ({
        ...teamMachine(target.label),
        dir: agent.dir,
        exec: (command, timeoutMs) => agent.exec(command, timeoutMs),
      })),
    registered: (team, name) =>
      machine(team, name).then(
        () => true,
        () => false,
      ),
    onSample: (team, name, sample) => metrics.machineSampled(team, name, sample),
    logger,
  });
  const cleaner = new RunCleaner(logger);
  const held = new Map<string, string>();
  const machineKey = registry.machineKey;
  const actor = await resolveActor(redis, options.actor);
  const writer = new AuditWriter(redis, (error, entries) =>
    logger.error({ err: error.message, entries: entries.length }, 'could not append to the audit log'),
  );
  const audit: AuditFn = (team, action, taskId, outcome, detail) =>
    writer.append({ actor, team, action, target: taskId, outcome, detail: { bridge: config.name, ...detail } });
  // The transitions of a task this bridge's processor parsed (its id and team checked there): not parsed again.
  const auditTask: AuditFn = (team, action, taskId, outcome, detail) =>
    writer.appendParsed({ actor, team, action, target: taskId, outcome, detail: { bridge: config.name, ...detail } });
  const processor = taskProcessor({
    config,
    pool,
    redis,
    machine,
    machineKey,
    cleaner,
    held,
    logger,
    teamKeys,
    audit: auditTask,
    onFirstClaim: (team, priority, waitMs) => metrics.taskClaimed(team, priority, waitMs / 1000),
  });
  let heartbeat: Heartbeat | undefined;
  const lanes = startTeamLanes({
    config,
    processor,
    putBack: (job, token) => putBackUnstarted(redis, job, token),
    logger,
    onLoadChange: () => heartbeat?.nudge(),
    workerOptions: {
      connection: redis,
      name: config.name,
      lockDuration: config.lockDurationMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: config.maxStalledCount,
      // The retry's delay from the task's data as its processor parsed it (never parsed again).
      settings: {
        backoffStrategy: (attempts, type, _error, job) => backoffStrategy(attempts, type, taskDataOf(job as Job)),
      },
    },
  });
  slots = () => lanes.slots();
  const workers = new Map<string, Worker[]>();
  for (const { team, worker } of lanes.workers) {
    worker.on('error', (error) => logger.error({ team, err: error.message }, 'worker error'));
    worker.on('completed', (job) => {
      cleaner.stored(String(job.id));
      // Only a task the processor parsed completes (anything else fails its try).
      auditTask(team, 'task.completed', String(job.id), 'ok', { attempt: job.attemptsMade });
      countFinished(metrics, team, job, 'completed');
    });
    worker.on('failed', (job, error) => {
      alertIfFinal(redis, logger, team, job, error);
      if (job) auditFailure(audit, team, job, error);
      if (job) countFailure(metrics, team, job, error);
    });
    // Another bridge may take the task over now: stop following the run (it goes on), never kill it.
    worker.on('lockRenewalFailed', (ids) => {
      for (const id of ids) stopTask(worker, id, 'lock-lost');
      logger.warn({ team, tasks: ids }, 'lost the lock on running tasks: letting another bridge re-attach');
    });
    workers.set(team, [...(workers.get(team) ?? []), worker]);
  }
  await lanes.ready();
  const stopWatching = await watchCancels(subscriber, redis, workers, held, config, logger);
  let metricsServer: MetricsServer | undefined;
  if (config.metricsPort !== undefined) {
    const redisAnswers = async () => (await redis.ping()) === 'PONG';
    metricsServer = await serveMetrics(metrics.registry, config.metricsPort, config.metricsHost, redisAnswers).catch(
      async (error: Error) => {
        await Promise.all([lanes.close(), writer.close()]);
        stopWatching();
        pool.close();
        redis.disconnect();
        subscriber.disconnect();
        throw error;
      },
    );
  }
  const alerting = await startBridgeAlerting(redis, config, teamKeys, logger);
  const upkeep = startUpkeep({
    redis,
    teams: config.teams,
    bridge: config.name,
    archiveEveryMs: config.archiveEveryMs,
    audit,
    logger,
  });
  sampler.start();
  heartbeat = await startHeartbeat(
    redis,
    { id: config.name, teams: config.teams, version: bridgeVersion(), slots: () => lanes.slots() },
    logger,
  );
  logger.info(
    {
      teams: config.teams,
      batchSize: config.batchSize,
      criticalSlots: config.criticalSlots,
      maxPerMachine: config.maxPerMachine,
      ...(metricsServer && { metrics: `http://${config.metricsHost}:${metricsServer.port}/metrics` }),
    },
    'bridge started',
  );

  let closing: Promise<void> | undefined;
  return {
    config,
    metrics,
    sampler,
    metricsPort: metricsServer?.port,
    close(closeOptions = {}) {
      closing ??= (async () => {
        const graceMs = closeOptions.graceMs ?? config.shutdownGraceMs;
        logger.info({ graceMs, onShutdown: config.onShutdown }, 'bridge stopping: no new tasks');
        await heartbeat?.stop();
        await metricsServer?.close();
        await alerting.close();
        await upkeep.close();
        const deadline = setTimeout(() => {
          if (held.size > 0) {
            logger.warn({ tasks: [...held.keys()], onShutdown: config.onShutdown }, 'grace period over');
          }
          for (const { worker } of lanes.workers) {
            stopAllTasks(worker, config.onShutdown === 'kill' ? 'kill' : 'handback');
          }
        }, graceMs);
        await lanes.close();
        clearTimeout(deadline);
        stopWatching();
        await Promise.all([writer.close(), sampler?.stop()]);
        cleaner.flush();
        pool.close();
        await Promise.all([redis, subscriber].map((r) => r.quit().catch(() => r.disconnect())));
        logger.info('bridge stopped');
      })();
      return closing;
    },
  };
}

/** A pool target's label is `team/machine`. */
function teamMachine(label: string): { team: string; machine: string } {
  const [team = '', machine = label] = label.split('/');
  return { team, machine };
}

/**
 * Cancels held tasks that a user asked to cancel: at once when the team's broadcast arrives, and by a periodic
 * check of the cancel flags, which catches broadcasts missed while disconnected or sent just before the claim.
 */
async function watchCancels(
  subscriber: Redis,
  redis: Redis,
  workers: Map<string, Worker[]>,
  held: Map<string, string>,
  config: BridgeConfig,
  logger: Logger,
): Promise<() => void> {
  const byChannel = new Map([...workers.keys()].map((team) => [registryKeys.cancelChannel(team), team]));
  const cancel = (team: string, taskId: string) => {
    const found = (workers.get(team) ?? []).map((w) => stopTask(w, taskId, 'cancel')).some(Boolean);
    if (found) logger.info({ team, taskId }, 'cancelling a running task');
  };
  subscriber.on('message', (channel: string, taskId: string) => {
    const team = byChannel.get(channel);
    if (team) cancel(team, taskId);
  });
  await subscriber.subscribe(...byChannel.keys());
  const timer = setInterval(() => {
    const byTeam = new Map<string, string[]>();
    for (const [taskId, team] of held) byTeam.set(team, [...(byTeam.get(team) ?? []), taskId]);
    for (const [team, ids] of byTeam) {
      cancelRequested(redis, team, ids).then(
        (flagged) => {
          for (const id of flagged) cancel(team, id);
        },
        (error: Error) => logger.warn({ team, err: error.message }, 'cancel check failed'),
      );
    }
  }, config.cancelCheckMs);
  return () => clearInterval(timer);
}

/** FAILED for good, CANCELLED, or a failed try that will be retried. */
function auditFailure(audit: AuditFn, team: string, job: Job, error: Error): void {
  const { code } = parseReason(error.message);
  const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
  const action = code === 'RDC_CANCELLED' ? 'task.cancelled' : final ? 'task.failed' : 'task.retry';
  audit(team, action, String(job.id), code === 'RDC_CANCELLED' ? 'ok' : 'failed', {
    attempt: job.attemptsMade,
    code: code ?? null,
  });
}

/** A task that ended for good: its outcome, and how long its last try ran. */
function countFinished(metrics: BridgeMetrics, team: string, job: Job, outcome: FinishOutcome): void {
  const ran = job.processedOn === undefined ? undefined : ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000;
  metrics.taskFinished(team, taskDataOf(job)?.machine ?? '', outcome, ran);
}

function countFailure(metrics: BridgeMetrics, team: string, job: Job, error: Error): void {
  const { code } = parseReason(error.message);
  const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
  if (code === 'RDC_CANCELLED') countFinished(metrics, team, job, 'cancelled');
  else if (final) countFinished(metrics, team, job, 'failed');
  else metrics.taskRetried(team);
}

/**
 * A bridge whose Redis user may not consume a team's queue would only log refusals forever: probe once, with a
 * write that changes nothing (ZREM of a member no key holds) on a key of the team's queues.
 */
async function assertCanConsume(redis: Redis, team: string): Promise<void> {
  try {
    await redis.zrem(`${teamPrefix(team)}:tasks:rdc-access-probe`, 'probe');
    await redis.zrem(`${teamPrefix(team)}:critical:rdc-access-probe`, 'probe');
  } catch (error) {
    throw await asAccessDenied(error, redis, { action: 'serve this team (consume its queue)', team });
  }
}

/** failureAction "alert": a task that failed for good is logged at error and recorded in the team's alerts. */
function alertIfFinal(redis: Redis, logger: Logger, team: string, job: Job | undefined, error: Error): void {
  const data = taskDataOf(job);
  if (!job || data?.failureAction !== 'alert') return;
  const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
  if (!final) return;
  const alert = {
    taskId: String(job.id),
    team,
    machine: data.machine,
    error: error.message,
    attempts: job.attemptsMade,
    at: Date.now(),
  };
  logger.error(alert, 'task failed for good: alert');
  recordAlert(redis, alert).catch((e: Error) =>
    logger.error({ err: e.message, taskId: alert.taskId }, 'could not record alert'),
  );
}
