// The web console `rediacc up` serves next to its bridge: bound to loopback, on the dashboard's default port unless
// it is taken (then a free one), with an admin login token that expires. The token is printed once by the caller;
// it never reaches a file, an argument list or a log (Redis keeps only its hash).
import type { Logger } from '@rediacc/core';
import { createDashboard } from '@rediacc/dashboard';
import type { DashboardTokens } from '@rediacc/producer';
import { DEFAULT_DASHBOARD_PORT } from './dashboard.js';

const HOST = '127.0.0.1';
/** How long the token `up` prints may log in: a working day, so a forgotten one does not stay valid for long. */
export const UP_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;

export interface UpDashboard {
  url: string;
  /** Stops serving; idempotent. */
  close(): Promise<void>;
}

/** Serves the console for `redisUrl`; `port` (when given) must be free, else the default or a free one is used. */
export async function startUpDashboard(options: {
  redisUrl: string;
  port: number | undefined;
  logger: Logger;
}): Promise<UpDashboard> {
  const app = options.port === undefined ? await serveOnDefaultPort(options) : await serve(options, options.port);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${HOST}:${port}`,
    close() {
      closing ??= app.close().then(() => {});
      return closing;
    },
  };
}

type Dashboard = Awaited<ReturnType<typeof createDashboard>>;

/** The default port keeps the console's address the same between runs; when it is taken, a free one. */
async function serveOnDefaultPort(options: { redisUrl: string; logger: Logger }): Promise<Dashboard> {
  try {
    return await serve(options, DEFAULT_DASHBOARD_PORT);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return serve(options, 0);
  }
}

/** A console listening on `port`; one that fails to listen is closed (its Redis connection with it). */
async function serve(options: { redisUrl: string; logger: Logger }, port: number): Promise<Dashboard> {
  const app = await createDashboard({ redis: options.redisUrl, logger: options.logger });
  try {
    await app.listen({ port, host: HOST });
    return app;
  } catch (error) {
    await app.close();
    throw error;
  }
}

/** A fleet admin token for the user who ran `up`, expiring after UP_TOKEN_TTL_MS. */
export async function createUpToken(tokens: DashboardTokens): Promise<string> {
  const { token } = await tokens.create({ role: 'admin', expiresInMs: UP_TOKEN_TTL_MS });
  return token;
}
