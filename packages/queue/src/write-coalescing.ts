// One socket write per turn of the event loop for a busy connection: ioredis writes each command to its socket at
// once, a system call each, and on loopback the sender's call also does the receiving side's TCP work, which made
// those writes the largest entry of a bridge's CPU profile (docs/performance.md). Corked on the first command of a
// turn and uncorked once that turn's callbacks and promise reactions have run (process.nextTick), the commands of
// the turn (several tasks' claims and results arriving in one read, an audit flush beside a claim) leave in one
// writev. Nothing else changes: the same commands in the same order, each with its own reply, and the cork lasts
// only until the current turn ends, never across a wait.
import type { Redis } from 'ioredis';

const coalescing = new WeakSet<Redis>();

/** Coalesces the writes of `redis` (one server or Sentinel; a Cluster's own connections are left as they are). */
export function coalesceWrites(redis: Redis): Redis {
  if (redis.isCluster || coalescing.has(redis)) return redis;
  coalescing.add(redis);
  const send = redis.sendCommand;
  let corked = false;
  redis.sendCommand = function coalesced(this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    const socket = redis.stream;
    if (!corked && redis.status === 'ready' && socket?.writable) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    return send.apply(redis, args);
  };
  return redis;
}
