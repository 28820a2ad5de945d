// The alert engine (@rediacc/alerts) a dashboard runs for every team, beside the bridges' engines: a team whose
// bridges are all dead cannot report itself, so its `no-bridge` rule must fire from here. Engines agree through
// Redis (alert state claimed with HSETNX, one delivery job per alert × webhook), so this adds no duplicate.
// Deliveries need the team's vault key (webhook URLs and secrets are sealed to it): keys found in `keysDir` let
// this engine send them; for a team without one it still evaluates and queues, and a bridge of the team sends.
// Teams created after start are picked up every `teamsEveryMs`.
import { hostname } from 'node:os';
import { type Alerting, findTeamKeys, startAlerting } from '@rediacc/alerts';
import type { Logger } from '@rediacc/core';
import { listTeams } from '@rediacc/queue';
import type { Redis } from 'ioredis';

export interface DashboardAlertingOptions {
  /** Directory of TEAM.key files (`$RDC_HOME/keys`, where `rediacc team create` writes them). */
  keysDir: string;
  /** How often rules are evaluated (default 5 s). */
  evaluateEveryMs?: number;
  /** First retry delay of a failed delivery (ms). */
  retryDelayMs?: number;
  /** How often the team list is read again for new teams (default 30 s). */
  teamsEveryMs?: number;
}

export interface DashboardAlerting {
  close(): Promise<void>;
}

/** Starts engines for the teams there are now, and for new ones as they appear. `redis` is a worker connection. */
export async function startDashboardAlerting(
  redis: Redis,
  options: DashboardAlertingOptions,
  logger: Logger,
): Promise<DashboardAlerting> {
  const log = logger.child({ component: 'alerts' });
  const consumer = `dashboard-${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, '_');
  const served = new Set<string>();
  const engines: Alerting[] = [];
  let stopped = false;

  const serveNewTeams = async () => {
    const teams = (await listTeams(redis)).map((t) => t.name).filter((t) => !served.has(t));
    if (teams.length === 0 || stopped) return;
    const teamKeys = await findTeamKeys(redis, teams, options.keysDir, log);
    const keyless = teams.filter((t) => !teamKeys.has(t));
    if (keyless.length > 0) {
      log.warn(
        { teams: keyless, keysDir: options.keysDir },
        'no vault key for these teams: their alerts are evaluated and queued here, and a bridge of the team sends them',
      );
    }
    engines.push(
      await startAlerting({
        redis,
        teams,
        consumer,
        teamKeys,
        logger: log,
        ...(options.evaluateEveryMs !== undefined && { evaluateEveryMs: options.evaluateEveryMs }),
        ...(options.retryDelayMs !== undefined && { delivery: { backoffMs: options.retryDelayMs } }),
      }),
    );
    for (const t of teams) served.add(t);
  };

  await serveNewTeams();
  let refreshing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    refreshing = refreshing
      .then(serveNewTeams)
      .catch((error: Error) => log.warn({ err: error.message }, 'reading the teams for alerting failed'));
  }, options.teamsEveryMs ?? 30_000);
  timer.unref();

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        stopped = true;
        clearInterval(timer);
        await refreshing;
        await Promise.all(engines.map((e) => e.close()));
      })();
      return closing;
    },
  };
}
