// What every command needs: configuration from the environment and an SDK client it closes afterwards, and the
// wiring that runs a plain handler with them and prints its result.
import { loadConfig, type RdcConfig } from '@rediacc/core';
import { asAccessDenied, createClient, type RediaccClient } from '@rediacc/producer';
import { CommandExit, type CommandResult, show } from './result.js';

export async function withClient<T>(run: (client: RediaccClient, config: RdcConfig) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const client = createClient({ redis: config.redisUrl, ...(config.actor !== undefined && { actor: config.actor }) });
  try {
    return await run(client, config);
  } catch (error) {
    // A refusal no SDK call mapped (commands that read Redis directly): still RDC_ACCESS_DENIED, never raw NOPERM.
    throw await asAccessDenied(error, client.redis, { action: 'do this' });
  } finally {
    await client.close();
  }
}

/** A command as a plain function: parsed options (positional arguments folded in) and a client in, a result out. */
export type Handler<O> = (options: O, client: RediaccClient, config: RdcConfig) => Promise<CommandResult>;

/**
 * The commander side of a command: runs `handler` with a client, prints its result, and hands a failure or a
 * chosen exit code to bin.ts (which alone sets the process's exit code).
 */
export async function runCommand<O>(handler: Handler<O>, options: O): Promise<void> {
  const result = await withClient((client, config) => handler(options, client, config));
  show(result.printed);
  if (result.error) throw result.error;
  if (result.exitCode !== 0) throw new CommandExit(result.exitCode);
}
