// What a bridge does with one claimed job: validate it, record ASSIGNED, run the command on its machine,
// record PROCESSING when it starts, and end COMPLETED (exit 0) or FAILED with exit code and output.
import {
  isRdcError,
  jobDataSchema,
  type Logger,
  type MachineRecord,
  type Progress,
  RdcError,
  type RunResult,
} from '@rediacc/core';
import { type Job, UnrecoverableError } from 'bullmq';
import type { BridgeConfig } from './config.js';
import { runCommand } from './run-command.js';
import type { SshPool } from './ssh-pool.js';

export interface ProcessorDeps {
  config: BridgeConfig;
  pool: SshPool;
  machine: (team: string, name: string) => Promise<MachineRecord>;
  logger: Logger;
}

const ERROR_TAIL_BYTES = 2_048;

export function taskProcessor(deps: ProcessorDeps) {
  return async function processTask(job: Job): Promise<RunResult> {
    const parsed = jobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(
        new RdcError(
          'RDC_JOB_DATA_INVALID',
          `job ${job.id} is not a rediacc task: ${parsed.error.issues[0]?.message}`,
        ).toReason(),
      );
    }
    if (!/^[A-Za-z0-9-]{1,128}$/.test(String(job.id))) {
      throw new UnrecoverableError(
        new RdcError('RDC_JOB_DATA_INVALID', `job id ${JSON.stringify(job.id)} is not a rediacc task id`).toReason(),
      );
    }
    const data = parsed.data;
    const log = deps.logger.child({
      team: data.team,
      machine: data.machine,
      taskId: job.id,
      attempt: job.attemptsMade + 1,
    });
    const bridge = deps.config.name;
    try {
      await job.updateProgress({ phase: 'ASSIGNED', bridge } satisfies Progress);
      const machine = await deps.machine(data.team, data.machine);
      const pool = deps.pool.machine({
        label: `${machine.team}/${machine.name}`,
        host: machine.host,
        port: machine.port,
        user: machine.user,
        keyFile: machine.keyFile,
        hostKeyFingerprint: machine.hostKeyFingerprint,
      });
      let started: Promise<void> = Promise.resolve();
      let startedAt: number | undefined;
      const result = await runCommand(pool, data.command, {
        taskId: String(job.id),
        killGraceSeconds: deps.config.killGraceSeconds,
        outputCapBytes: deps.config.outputCapBytes,
        timeoutMs: data.timeout === undefined ? undefined : data.timeout * 1000,
        onStart: (at) => {
          startedAt = at;
          started = job.updateProgress({ phase: 'PROCESSING', bridge, startedAt: at } satisfies Progress);
        },
      });
      await started;
      if (result.ending.outcome === 'exited' && result.ending.exitCode === 0) {
        log.debug({ ms: result.finishedAt - result.startedAt }, 'task completed');
        return result;
      }
      // Keep the failed try's output and exit code where `inspect` finds it.
      await job.updateProgress({ phase: 'PROCESSING', bridge, startedAt, result } satisfies Progress);
      throw failureOf(result);
    } catch (error) {
      const rdc = isRdcError(error)
        ? error
        : new RdcError('RDC_INTERNAL', String(error), { cause: error, retryable: true });
      log.warn({ code: rdc.code, err: rdc.message }, 'task try failed');
      throw rdc.retryable ? new Error(rdc.toReason()) : new UnrecoverableError(rdc.toReason());
    }
  };
}

function failureOf(result: RunResult): RdcError {
  const tail = result.output.slice(-ERROR_TAIL_BYTES).trim();
  const detail = tail ? `: ${tail}` : '';
  switch (result.ending.outcome) {
    case 'exited':
      return new RdcError('RDC_COMMAND_FAILED', `exit code ${result.ending.exitCode}${detail}`, { retryable: true });
    case 'signalled':
      return new RdcError('RDC_COMMAND_FAILED', `killed by signal ${result.ending.signal}${detail}`, {
        retryable: true,
      });
    case 'timed-out':
      return new RdcError('RDC_TIMEOUT', `timed out after ${result.ending.afterSeconds}s`, { retryable: true });
  }
}
