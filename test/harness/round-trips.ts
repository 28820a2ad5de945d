// Counts the Redis round trips a process makes, by who made them: every command ioredis sends on its own is one
// round trip, and a pipeline or MULTI (however many commands it holds) is one. Each is labelled with the first
// function of our packages (or BullMQ's script name) on its stack, and whether a bridge made it (its code or a
// BullMQ worker on the stack) or something else in the process (a producer, the test itself).
import { Pipeline, Redis } from 'ioredis';

export interface RoundTrip {
  label: string;
  bridge: boolean;
}

export interface RoundTripCounter {
  readonly trips: RoundTrip[];
  reset(): void;
  /** Round trips made by bridges, per label. */
  byLabel(filter?: (trip: RoundTrip) => boolean): Map<string, number>;
  stop(): void;
}

type Sender = (this: Redis, command: { name: string; args: unknown[] }, stream?: { isPipeline?: boolean }) => unknown;
type Exec = (this: Pipeline, ...args: unknown[]) => unknown;

/** What a wrapper around ioredis's sends hears: each command sent on its own, and each pipeline (or MULTI) sent. */
interface SendHooks {
  /** `reply` is the command's promise (its answer). */
  command(redis: Redis, command: { name: string; args: unknown[] }, reply: Promise<unknown>): void;
  pipeline(redis: Redis | undefined, reply: Promise<unknown>): void;
}

/**
 * Wraps every connection's sends in this process (a command inside a pipeline is the pipeline's, not its own), with
 * deep stacks for the labels; returns what puts them back.
 */
function hearSends(hooks: SendHooks): () => void {
  const proto = Redis.prototype as unknown as { sendCommand: Sender };
  const pipelineProto = Pipeline.prototype as unknown as { exec: Exec };
  const send = proto.sendCommand;
  const exec = pipelineProto.exec;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 60;
  proto.sendCommand = function (this: Redis, command, stream) {
    const result = send.call(this, command, stream);
    if (!stream?.isPipeline)
      hooks.command(this, command, (command as unknown as { promise: Promise<unknown> }).promise);
    return result;
  };
  pipelineProto.exec = function (this: Pipeline, ...args) {
    const result = exec.apply(this, args) as Promise<unknown>;
    hooks.pipeline((this as unknown as { redis?: Redis }).redis, result);
    return result;
  };
  return () => {
    proto.sendCommand = send;
    pipelineProto.exec = exec;
    Error.stackTraceLimit = limit;
  };
}

const OURS = /packages\/(bridge|queue|producer|core)\/(?:dist|src)\/([\w/.-]+)\.[jt]s/;

export function countRoundTrips(): RoundTripCounter {
  const trips: RoundTrip[] = [];
  const stop = hearSends({
    command: (redis, command) => trips.push(tripOf(redis, command.name, command.args)),
    pipeline: (redis) => trips.push(tripOf(redis, 'pipeline', [])),
  });
  return {
    trips,
    reset: () => {
      trips.length = 0;
    },
    byLabel(filter = (trip) => trip.bridge) {
      const counts = new Map<string, number>();
      for (const trip of trips.filter(filter)) counts.set(trip.label, (counts.get(trip.label) ?? 0) + 1);
      return counts;
    },
    stop,
  };
}

/** Connections a bridge used: whatever is sent on them later (from a timer, a BullMQ callback) is the bridge's. */
const bridgeConnections = new WeakSet<object>();

function tripOf(redis: Redis | undefined, name: string, args: unknown[]): RoundTrip {
  const stack = new Error().stack ?? '';
  let bridge = /packages\/bridge\/|bullmq\/dist\/\w+\/classes\/worker\.js/.test(stack);
  if (redis && bridge) bridgeConnections.add(redis);
  else if (redis && bridgeConnections.has(redis)) bridge = true;
  return { label: labelOf(redis, name, args, stack), bridge };
}

const SENDERS = new Set(['lua-script', 'write-coalescing', 'redis-command']);

function labelOf(redis: Redis | undefined, name: string, args: unknown[], stack: string): string {
  if (name === 'evalsha' && redis) {
    const sha = String(args[0]);
    const scripts = (redis as unknown as { scriptsSet?: Record<string, { sha: string }> }).scriptsSet ?? {};
    const script = Object.entries(scripts).find(([, s]) => s.sha === sha);
    if (script) return `bullmq ${script[0].replace(/-\d+$/, '')}`;
  }
  for (const line of stack.split('\n').slice(2)) {
    const ours = OURS.exec(line);
    // Senders every caller goes through: the caller names the trip.
    if (!ours || SENDERS.has(ours[2] ?? '')) continue;
    const fn = /at (?:async )?([\w.<>]+) \(/.exec(line)?.[1] ?? '?';
    // From the bridge's own timers (the periodic cancel check), not from a task's processor.
    const timer = /bridge\/(?:dist|src)\/bridge\.[jt]s/.test(stack) ? ' (bridge.ts)' : '';
    return `${ours[2]} ${fn} ${name}${timer}`;
  }
  return name;
}

export interface WaveCounter {
  /** Each dependent round trip: the labels of what went out together (before any answer came back). */
  readonly waves: string[][];
  reset(): void;
  stop(): void;
}

/**
 * Counts the dependent round trips made on one connection, as a caller waits for them: commands and pipelines sent
 * before any answer arrived since the previous send travel together and count as one (a create's add and the
 * pipeline sent beside it), a send after an answer starts the next. For a producer alone on its connection.
 */
export function countWaves(redis: Redis): WaveCounter {
  const waves: string[][] = [];
  let answered = true;
  const mark = () => {
    answered = true;
  };
  const sent = (label: string, reply: Promise<unknown>) => {
    if (answered || waves.length === 0) waves.push([]);
    answered = false;
    waves.at(-1)?.push(label);
    reply.then(mark, mark);
  };
  const stop = hearSends({
    command(on, command, reply) {
      if (on === redis) sent(labelOf(on, command.name, command.args, new Error().stack ?? ''), reply);
    },
    pipeline(on, reply) {
      if (on === redis) sent(labelOf(redis, 'pipeline', [], new Error().stack ?? ''), reply);
    },
  });
  return {
    waves,
    reset: () => {
      waves.length = 0;
      answered = true;
    },
    stop,
  };
}
