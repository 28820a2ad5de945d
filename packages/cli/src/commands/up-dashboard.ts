// The web console `rediacc up` serves next to its bridge: bound to loopback, on the dashboard's default port unless
// it is taken (then a free one), with an admin login token that expires. The token is printed once by the caller;
// it never reaches a file, an argument list or a log (Redis keeps only its hash).
import type { Logger } from '@rediacc/core';
import type { DashboardTokens } from '@rediacc/producer';
import { DEFAULT_DASHBOARD_PORT, type ServedDashboard, serveDashboard } from './dashboard-serve.js';

const HOST = '127.0.0.1';
/** How long the token `up` prints may log in: a working day, so a forgotten one does not stay valid for long. */
export const UP_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * Serves the console for `redisUrl` on loopback; `port` (when given) must be free. Without one, the default port
 * keeps the console's address the same between runs, and a free one is used when it is taken.
 */
export async function startUpDashboard(options: {
  redisUrl: string;
  port: number | undefined;
  logger: Logger;
  /** The teams' vault keys, for the console's alert engine. */
  keysDir: string;
}): Promise<ServedDashboard> {
  const serve = (port: number) => serveDashboard({ ...options, host: HOST, port });
  if (options.port !== undefined) return serve(options.port);
  try {
    return await serve(DEFAULT_DASHBOARD_PORT);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return serve(0);
  }
}

/** A fleet admin token for the user who ran `up`, expiring after UP_TOKEN_TTL_MS. */
export async function createUpToken(tokens: DashboardTokens): Promise<string> {
  const { token } = await tokens.create({ role: 'admin', expiresInMs: UP_TOKEN_TTL_MS });
  return token;
}
