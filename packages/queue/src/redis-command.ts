// A Redis command as data: built by the module that owns its keys, sent by the caller with others (a pipeline, or
// separate commands written together), so writes of several modules share one round trip.
import type { ChainableCommander, Redis } from 'ioredis';
import { coalescesWrites } from './write-coalescing.js';

export type RedisCommand = [name: string, ...args: (string | number)[]];

/** Adds the commands to a pipeline or transaction. */
export function addCommands(commands: ChainableCommander, list: readonly RedisCommand[]): ChainableCommander {
  for (const [name, ...args] of list) commands.call(name, ...args);
  return commands;
}

/**
 * Sends the commands in order, not as a transaction, and resolves with each one's [error, reply] (replies as Redis
 * gives them, with none of ioredis' per-command transforms), as a pipeline's exec does. On a connection that
 * coalesces its writes (write-coalescing.ts) each is sent on its own: they leave in the pass's one socket write
 * anyway, and building an ioredis Pipeline there costs more than the commands (its constructor copies every script
 * BullMQ defined on the connection, about fifty). Elsewhere one pipeline: one write.
 */
export async function sendCommands(redis: Redis, list: readonly RedisCommand[]): Promise<[Error | null, unknown][]> {
  if (!coalescesWrites(redis)) return (await addCommands(redis.pipeline(), list).exec()) ?? [];
  return Promise.all(
    list.map(([name, ...args]) =>
      redis.call(name, ...args).then(
        (reply): [null, unknown] => [null, reply],
        (error: Error): [Error, undefined] => [error, undefined],
      ),
    ),
  );
}
