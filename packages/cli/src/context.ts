// What every command needs: configuration from the environment and an SDK client it closes afterwards.
import { loadConfig, type RdcConfig } from '@rediacc/core';
import { asAccessDenied, createClient, type RediaccClient } from '@rediacc/producer';

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
