// What every command needs: configuration from the environment and an SDK client it closes afterwards.
import { loadConfig, type RdcConfig } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';

export async function withClient<T>(run: (client: RediaccClient, config: RdcConfig) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const client = createClient({ redis: config.redisUrl });
  try {
    return await run(client, config);
  } finally {
    await client.close();
  }
}
