// rediacc dashboard start [--port P] [--host H]: serves the web console in the foreground until SIGINT/SIGTERM
// (`dashboard token …` lives in dashboard-token.ts).
// It binds 127.0.0.1 unless --host says otherwise: exposing it is a choice, never a default. It runs the alert engine
// for every team too (--no-alerts to not), sending the deliveries of the teams whose vault key is in --keys-dir.
import { join, resolve } from 'node:path';
import { createLogger, loadConfig } from '@rediacc/core';
import type { Command } from 'commander';
import { integer } from '../options.js';
import { printLine, printNote } from '../output.js';
import { nextStopSignal } from '../stop-signal.js';
import { DEFAULT_DASHBOARD_PORT, serveDashboard } from './dashboard-serve.js';
import { registerDashboardToken } from './dashboard-token.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

interface DashboardStartOptions {
  port: number;
  host: string;
  keysDir?: string;
  /** false with --no-alerts */
  alerts: boolean;
}

export function registerDashboard(program: Command): void {
  const dashboard = program.command('dashboard').description('the web console: Bull Board behind token login');
  dashboard
    .command('start')
    .description('serve the console until SIGINT/SIGTERM')
    .option('--port <port>', 'TCP port (0 picks a free one)', integer(0, 65_535), DEFAULT_DASHBOARD_PORT)
    .option('--host <address>', 'address to bind; anything but loopback exposes the console', '127.0.0.1')
    .option(
      '--keys-dir <dir>',
      "teams' vault keys (TEAM.key) for sending alert deliveries; a team without one is left to its bridges (default: $RDC_HOME/keys)",
    )
    .option('--no-alerts', 'do not run the alert engine (the bridges still do)')
    .action(async (options: DashboardStartOptions) => startDashboard(options));
  registerDashboardToken(dashboard);
}

async function startDashboard(options: DashboardStartOptions): Promise<void> {
  const config = loadConfig();
  // Logs go to stderr (createLogger's default): stdout carries only the URL line.
  const logger = createLogger({ name: 'dashboard', level: config.logLevel });
  const stopped = nextStopSignal();
  const keysDir = options.alerts ? resolve(options.keysDir ?? join(config.home, 'keys')) : undefined;
  const dashboard = await serveDashboard({
    redisUrl: config.redisUrl,
    logger,
    host: options.host,
    port: options.port,
    keysDir,
  });
  printLine(`dashboard listening on ${dashboard.url}/`);
  if (!LOOPBACK.has(options.host)) {
    printNote(
      `warning: the console is reachable from other hosts on ${options.host}; tokens and session cookies cross the network, so put it behind TLS`,
    );
  }
  await stopped;
  await dashboard.close();
}
