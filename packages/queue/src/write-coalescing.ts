// One socket write per pass of the event loop for a busy connection: ioredis writes each command to its socket at
// once, a system call each, and on loopback the sender's call also does the receiving side's TCP work, which made
// those writes the largest entry of a bridge's CPU profile (docs/performance.md). Corked on the first command and
// uncorked at the end of the pass (core's atPassEnd, where the remote agents' request lines leave too), the commands
// of every callback of that pass (a run's end heard over SSH and another task's claim in the Redis reply read
// beside it, several tasks' claims and results, and the audit entries riding along: rideNextWrite) leave in one
// writev. Nothing else changes: the same commands in the same order, each with its own reply, and the cork lasts
// only until the current pass ends, never across a wait (a flush queued for the pass's end keeps the loop from
// blocking).
import { atPassEnd } from '@rediacc/core';
import type { Redis } from 'ioredis';

interface Coalesced {
  /** Called once, right before the next corked commands leave (they may add commands of their own). */
  riders: (() => void)[];
}

const coalescing = new WeakMap<Redis, Coalesced>();

/** Coalesces the writes of `redis` (one server or Sentinel; a Cluster's own connections are left as they are). */
export function coalesceWrites(redis: Redis): Redis {
  if (redis.isCluster || coalescing.has(redis)) return redis;
  const state: Coalesced = { riders: [] };
  coalescing.set(redis, state);
  const send = redis.sendCommand;
  let corked = false;
  redis.sendCommand = function coalesced(this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    const socket = redis.stream;
    if (!corked && redis.status === 'ready' && socket?.writable) {
      corked = true;
      socket.cork();
      atPassEnd(() => {
        // Still corked: what the riders send leaves in the same write (riders added meanwhile wait for the next).
        const riders = state.riders;
        state.riders = [];
        try {
          for (const ride of riders) ride();
        } finally {
          corked = false;
          socket.uncork();
        }
      });
    }
    return send.apply(redis, args);
  };
  return redis;
}

/** Whether `redis` coalesces its writes (coalesceWrites). */
export function coalescesWrites(redis: Redis): boolean {
  return coalescing.has(redis);
}

/**
 * Runs `send` right before the next commands of `redis` leave (in the same socket write), so writes that may wait a
 * little (the audit log's) ride on one the connection makes anyway; `send` must not throw. False when `redis` does
 * not coalesce its writes: the caller sends on its own then.
 */
export function rideNextWrite(redis: Redis, send: () => void): boolean {
  const state = coalescing.get(redis);
  if (!state) return false;
  state.riders.push(send);
  return true;
}
