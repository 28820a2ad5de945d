// A Redis command as data: built by the module that owns its keys, sent by the caller with others (a pipeline, or
// separate commands written together), so writes of several modules share one round trip.
import type { ChainableCommander } from 'ioredis';

export type RedisCommand = [name: string, ...args: (string | number)[]];

/** Adds the commands to a pipeline or transaction. */
export function addCommands(commands: ChainableCommander, list: readonly RedisCommand[]): ChainableCommander {
  for (const [name, ...args] of list) commands.call(name, ...args);
  return commands;
}
