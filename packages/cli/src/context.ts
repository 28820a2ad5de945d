// What every command needs: configuration from the environment and an SDK client it closes afterwards.
import { loadConfig, type RdcConfig } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { accessDenied, isAccessRefusal, whoAmI } from '@rediacc/queue';

export async function withClient<T>(run: (client: RediaccClient, config: RdcConfig) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const client = createClient({ redis: config.redisUrl, ...(config.actor !== undefined && { actor: config.actor }) });
  try {
    return await run(client, config);
  } catch (error) {
    // A refusal no SDK call mapped (commands that read Redis directly): still RDC_ACCESS_DENIED, never raw NOPERM.
    if (isAccessRefusal(error)) throw accessDenied(error, { user: await whoAmI(client.redis), action: 'do this' });
    throw error;
  } finally {
    await client.close();
  }
}
