// What the bridges last saw of each machine: load, memory and disk free of its run directory (sampled over a pooled
// connection), and the last SSH error with `unreachableSince`, the first failure since the last success. One hash
// per team (`rdc:{TEAM}:machine-status`), a field per machine, written by any bridge holding connections to it:
// the last writer wins. Values are JSON checked by machineStatusSchema; a value that does not parse is skipped.

import { registryKeys } from '@rediacc/core';
import type { Redis } from 'ioredis';
import { z } from 'zod';

const bytes = z.number().nonnegative().nullable();

export const machineErrorSchema = z.object({
  /** When the error was seen (ms). */
  at: z.number(),
  /** An RDC_* code (RDC_SSH_UNREACHABLE, RDC_SSH_AUTH, …) or the sampler's own (RDC_SAMPLE_FAILED). */
  code: z.string(),
  message: z.string(),
});
export type MachineError = z.infer<typeof machineErrorSchema>;

export const machineStatusSchema = z.object({
  /** The bridge that wrote this record last. */
  bridgeId: z.string(),
  /** When the sample fields were taken (ms), or null before the first sample. */
  sampledAt: z.number().nullable(),
  load1: z.number().nonnegative().nullable(),
  load5: z.number().nonnegative().nullable(),
  load15: z.number().nonnegative().nullable(),
  memUsedBytes: bytes,
  memTotalBytes: bytes,
  diskFreeBytes: bytes,
  /** The last connection or sampling failure, kept after recovery so `machine list` can say when it was. */
  lastError: machineErrorSchema.nullable(),
  /** The first failed connect or sample since the last success (ms); null while the machine answers. */
  unreachableSince: z.number().nullable(),
});
export type MachineStatus = z.infer<typeof machineStatusSchema>;

/** The numbers one sample gives. */
export type MachineSample = Pick<
  MachineStatus,
  'load1' | 'load5' | 'load15' | 'memUsedBytes' | 'memTotalBytes' | 'diskFreeBytes'
>;

const NO_SAMPLE: MachineSample & { sampledAt: null } = {
  sampledAt: null,
  load1: null,
  load5: null,
  load15: null,
  memUsedBytes: null,
  memTotalBytes: null,
  diskFreeBytes: null,
};

/** `previous` after a successful sample at `at`: new numbers, reachable again, the last error kept. */
export function withSample(
  previous: MachineStatus | undefined,
  bridgeId: string,
  sample: MachineSample,
  at: number,
): MachineStatus {
  return { ...sample, bridgeId, sampledAt: at, lastError: previous?.lastError ?? null, unreachableSince: null };
}

/** `previous` after a failure at `error.at`: the old numbers kept, unreachable since the first failure in a row. */
export function withError(previous: MachineStatus | undefined, bridgeId: string, error: MachineError): MachineStatus {
  return {
    ...NO_SAMPLE,
    ...previous,
    bridgeId,
    lastError: error,
    unreachableSince: previous?.unreachableSince ?? error.at,
  };
}

/** `previous` after a successful connect: reachable again, everything else kept. */
export function withReachable(previous: MachineStatus | undefined, bridgeId: string): MachineStatus {
  return { ...NO_SAMPLE, lastError: null, ...previous, bridgeId, unreachableSince: null };
}

export async function writeMachineStatus(
  redis: Redis,
  team: string,
  machine: string,
  status: MachineStatus,
): Promise<void> {
  await redis.hset(registryKeys.machineStatus(team), machine, JSON.stringify(machineStatusSchema.parse(status)));
}

export async function readMachineStatus(
  redis: Redis,
  team: string,
  machine: string,
): Promise<MachineStatus | undefined> {
  const json = await redis.hget(registryKeys.machineStatus(team), machine);
  return json === null ? undefined : parseStatus(json);
}

/** Every machine's status in `team` (one HGETALL), by machine name; values that do not parse are left out. */
export async function readMachineStatuses(redis: Redis, team: string): Promise<Map<string, MachineStatus>> {
  const all = await redis.hgetall(registryKeys.machineStatus(team));
  const statuses = new Map<string, MachineStatus>();
  for (const [machine, json] of Object.entries(all)) {
    const status = parseStatus(json);
    if (status) statuses.set(machine, status);
  }
  return statuses;
}

/** Records a successful sample (read, change, write: the last writer wins). */
export async function recordMachineSample(
  redis: Redis,
  team: string,
  machine: string,
  bridgeId: string,
  sample: MachineSample,
  at: number,
): Promise<MachineStatus> {
  const status = withSample(await readMachineStatus(redis, team, machine), bridgeId, sample, at);
  await writeMachineStatus(redis, team, machine, status);
  return status;
}

/** Records a failed connect or sample; `unreachableSince` stays at the first failure until a success clears it. */
export async function recordMachineError(
  redis: Redis,
  team: string,
  machine: string,
  bridgeId: string,
  error: MachineError,
): Promise<MachineStatus> {
  const status = withError(await readMachineStatus(redis, team, machine), bridgeId, error);
  await writeMachineStatus(redis, team, machine, status);
  return status;
}

/** Records a successful connect: clears `unreachableSince` (writes only when it was set or no record exists). */
export async function recordMachineReachable(
  redis: Redis,
  team: string,
  machine: string,
  bridgeId: string,
): Promise<void> {
  const previous = await readMachineStatus(redis, team, machine);
  if (previous && previous.unreachableSince === null) return;
  await writeMachineStatus(redis, team, machine, withReachable(previous, bridgeId));
}

function parseStatus(json: string): MachineStatus | undefined {
  try {
    const parsed = machineStatusSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
