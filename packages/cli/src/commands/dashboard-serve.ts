// The web console listening on one address: what `dashboard start` and `rediacc up` both run. A console that fails
// to listen is closed again (its Redis connection with it), so a caller can try another port. Both run the alert
// engine for every team, so a team whose bridges are all down still raises its `no-bridge` alert.
import type { Logger } from '@rediacc/core';
import { createDashboard } from '@rediacc/dashboard';

export const DEFAULT_DASHBOARD_PORT = 7420;

export interface ServedDashboard {
  /** http://HOST:PORT, with the port actually bound (port 0 picks a free one). */
  url: string;
  /** Stops serving; idempotent. */
  close(): Promise<void>;
}

export async function serveDashboard(options: {
  redisUrl: string;
  logger: Logger;
  host: string;
  port: number;
  /** Directory of TEAM.key files for the alert engine; undefined: no alert engine. */
  keysDir: string | undefined;
}): Promise<ServedDashboard> {
  const app = await createDashboard({
    redis: options.redisUrl,
    logger: options.logger,
    ...(options.keysDir !== undefined && { alerting: { keysDir: options.keysDir } }),
  });
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    close() {
      closing ??= app.close().then(() => {});
      return closing;
    },
  };
}
