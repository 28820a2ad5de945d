// Task state changes as the console's event stream sends them, read from BullMQ's per-queue event streams: which
// status each event means, and the `id:` of an SSE event, which holds the position reached in every lane's event
// stream so a reconnect (Last-Event-ID) resumes after the last event the page saw.
import { LANES, type Lane, parseReason, type TaskStatus } from '@rediacc/core';

export interface TaskChange {
  team: string;
  lane: Lane;
  /** The entry id in the lane's BullMQ event stream. */
  streamId: string;
  taskId: string;
  status: TaskStatus;
}

/** The status a BullMQ queue event leaves its task in, or undefined for events the console does not show. */
export function statusOfEvent(event: string, args: Record<string, unknown>): TaskStatus | undefined {
  switch (event) {
    case 'added':
    case 'waiting':
    case 'delayed':
    case 'stalled':
      return 'PENDING';
    case 'active':
      return 'ASSIGNED';
    case 'progress': {
      const data = args.data as { phase?: unknown } | null | undefined;
      return data?.phase === 'PROCESSING' ? 'PROCESSING' : 'ASSIGNED';
    }
    case 'completed':
      return 'COMPLETED';
    case 'failed':
      return parseReason(String(args.failedReason ?? '')).code === 'RDC_CANCELLED' ? 'CANCELLED' : 'FAILED';
    case 'removed':
      // Removed while pending: cancelled (its tombstone keeps it). Removed after it finished (cleaned): no change.
      return args.prev === 'completed' || args.prev === 'failed' ? undefined : 'CANCELLED';
    default:
      return undefined;
  }
}

/** A raw stream entry's fields as BullMQ's QueueEvents parses them (progress data is JSON). */
export function eventArgs(fields: readonly string[]): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) args[fields[i]!] = fields[i + 1];
  if (args.event === 'progress' && typeof args.data === 'string') {
    try {
      args.data = JSON.parse(args.data);
    } catch {
      args.data = undefined;
    }
  }
  return args;
}

/** Orders two Redis stream ids (`ms-seq`). */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/** Where a page is in each lane's event stream: `team/lane` → stream id. */
export type Positions = Map<string, string>;

export const positionKey = (team: string, lane: Lane) => `${team}/${lane}`;

export function encodePositions(positions: Positions): string {
  return Buffer.from(JSON.stringify(Object.fromEntries(positions))).toString('base64url');
}

/** The positions a Last-Event-ID holds, for `teams` only; empty when it is missing or not ours. */
export function decodePositions(text: string | undefined, teams: readonly string[]): Positions {
  const positions: Positions = new Map();
  if (!text) return positions;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString());
  } catch {
    return positions;
  }
  if (typeof parsed !== 'object' || parsed === null) return positions;
  for (const team of teams) {
    for (const lane of LANES) {
      const id = (parsed as Record<string, unknown>)[positionKey(team, lane)];
      if (typeof id === 'string' && /^\d+-\d+$/.test(id)) positions.set(positionKey(team, lane), id);
    }
  }
  return positions;
}
