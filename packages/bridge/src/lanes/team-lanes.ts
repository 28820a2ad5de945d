// Per team, a bridge runs one BullMQ worker per lane: `critical` (P1–P2) and `tasks` (P3–P5). One queue
// cannot do this: a worker cannot fetch only some priorities, and raising a busy worker's concurrency
// does not wake its fetch loop. Both workers share a PermitGate of batchSize + criticalSlots permits:
//   - the normal worker claims at most batchSize tasks (its concurrency);
//   - the critical worker claims up to every permit not held by normal tasks (its concurrency follows the
//     gate), so idle normal slots serve a burst of P1s, and a busy bridge does not hoard P1s other
//     bridges could run now;
//   - a claimed task that finds no permit (critical work spilled into normal slots) waits for one,
//     critical tasks first.
// The run itself (its machine's fleet-wide slot and its fan-out batch's, every write for the task) is the
// processor's (run/).

import type { Logger } from '@rediacc/core';
import { LANE_QUEUES, LANES, type Lane, RdcError, teamPrefix } from '@rediacc/core';
import { jobOrigin, LockLostError, type TeamSlots } from '@rediacc/queue';
import {
  DelayedError,
  type Job,
  MetricsTime,
  UnrecoverableError,
  WaitingError,
  Worker,
  type WorkerOptions,
} from 'bullmq';
import type { BridgeConfig } from '../config.js';
import { PermitGate } from './permit-gate.js';

export type Processor = (job: Job, token?: string, signal?: AbortSignal) => Promise<unknown>;

export interface LaneWorker {
  team: string;
  lane: Lane;
  worker: Worker;
}

export interface TeamLanes {
  /** Every worker, critical first per team: attach event handlers, broadcast cancels to all of them. */
  readonly workers: readonly LaneWorker[];
  ready(): Promise<void>;
  /** Per team: the slots of each lane busy now and free for one more task, for the heartbeat. */
  slots(): Record<string, TeamSlots>;
  /** Stops claiming; tasks still waiting for a permit go back to their queue; running ones finish. Idempotent. */
  close(): Promise<void>;
}

export interface TeamLanesOptions {
  config: Pick<BridgeConfig, 'teams' | 'batchSize' | 'criticalSlots'>;
  processor: Processor;
  /** Hands a claimed job that never started back to its queue (the bridge is stopping before a permit was free). */
  putBack: (job: Job, token: string | undefined) => Promise<void>;
  /** Shared by every worker (connection, name, lock settings); concurrency and prefix are set here. */
  workerOptions: Omit<WorkerOptions, 'concurrency' | 'prefix'>;
  logger: Logger;
  /** Hears every change of the permits held, on any team (the heartbeat reports the load). */
  onLoadChange?: () => void;
}

/** Starts the lane workers of every team the bridge serves. */
export function startTeamLanes(options: TeamLanesOptions): TeamLanes {
  const { config } = options;
  const gates = new Map<string, PermitGate>();
  const workers: LaneWorker[] = [];
  for (const team of config.teams) {
    const capacity = config.batchSize + config.criticalSlots;
    const byLane = new Map<Lane, Worker>();
    const gate = new PermitGate(capacity, (held) => {
      const critical = byLane.get('critical');
      // Concurrency must stay >= 1; with no permit free the one task claimed waits first in the gate.
      if (critical) critical.concurrency = Math.max(1, capacity - held.normal);
      options.onLoadChange?.();
    });
    gates.set(team, gate);
    for (const lane of LANES) {
      const worker = new Worker(LANE_QUEUES[lane], laneProcessor(lane, gate, options), {
        ...options.workerOptions,
        prefix: teamPrefix(team),
        concurrency: lane === 'critical' ? capacity : config.batchSize,
        // BullMQ's per-minute completed/failed counts, kept a week: the console's 15-minute throughput reads them.
        metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
      });
      byLane.set(lane, worker);
      workers.push({ team, lane, worker });
    }
  }
  let closing: Promise<void> | undefined;
  return {
    workers,
    async ready() {
      await Promise.all(workers.map(({ worker }) => worker.waitUntilReady()));
    },
    slots() {
      return Object.fromEntries([...gates].map(([team, gate]) => [team, slotsOf(gate, config.batchSize)]));
    },
    close() {
      closing ??= (async () => {
        const closed = Promise.all(workers.map(({ worker }) => worker.close()));
        for (const gate of gates.values()) gate.close();
        await closed;
      })();
      return closing;
    },
  };
}

/**
 * A gate's load by lane. Free counts what one more task of the lane could take now: P3–P5 are held to batchSize
 * permits, P1–P2 may take any free permit, so an idle bridge shows every permit free for critical work.
 */
export function slotsOf(gate: PermitGate, batchSize: number): TeamSlots {
  const free = Math.max(0, gate.capacity - gate.held());
  return {
    normal: { busy: gate.held('normal'), free: Math.max(0, Math.min(free, batchSize - gate.held('normal'))) },
    critical: { busy: gate.held('critical'), free },
  };
}

/**
 * The processor a lane worker runs: take a permit of the team's gate, then run the task. Declares BullMQ's three
 * parameters so the worker passes an AbortSignal (cancellation).
 */
function laneProcessor(lane: Lane, gate: PermitGate, { processor, putBack, logger }: TeamLanesOptions) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<unknown> => {
    const permit = await gate.acquire(lane, signal);
    if (!permit.granted) {
      if (permit.reason === 'aborted') {
        throw new UnrecoverableError(
          new RdcError('RDC_CANCELLED', 'cancelled while waiting for a free slot on its bridge').toReason(),
        );
      }
      // The bridge is stopping and the task never started: hand it back for another bridge.
      await putBack(job, token);
      throw new DelayedError();
    }
    try {
      return await processor(job, token, signal);
    } catch (error) {
      if (error instanceof LockLostError) {
        // Frozen past the lock (or the task ended meanwhile): another bridge holds the task and its run now.
        // Nothing more is written for it; WaitingError tells BullMQ to leave the job alone.
        logger.warn(
          { team: jobOrigin(job).team, machine: job.name, taskId: String(job.id), detail: error.message },
          'lost the task: another bridge holds it now; leaving the run and every write to that bridge',
        );
        throw new WaitingError();
      }
      throw asFailure(error);
    } finally {
      permit.release();
    }
  };
}

/**
 * Every failure a job records carries a rediacc code: the processor's already do; anything else (Redis failing
 * while a machine slot was taken, say) becomes a retryable RDC_INTERNAL rather than a bare message.
 */
function asFailure(error: unknown): unknown {
  if (error instanceof DelayedError || error instanceof WaitingError || error instanceof UnrecoverableError) {
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/^RDC_[A-Z_]+: /.test(message)) return error;
  return new Error(new RdcError('RDC_INTERNAL', message, { cause: error }).toReason());
}
