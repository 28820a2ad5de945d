// The commands that serve until a signal, `up` and `dashboard start`: every flag once, each bad value with its
// message. `up` gets its own RDC_HOME (a stack per home); --port makes it start its own redis-server.
import { mkdtempSync } from 'node:fs';

import { join } from 'node:path';
import { freePort } from '../../harness/free-port.js';
import type { CaseContext, CaseTable, CliCase } from './table.js';

const usage = (name: string, args: CliCase['args'], message: RegExp): CliCase => ({
  name,
  args,
  code: 2,
  error: 'usage',
  message,
});

/** The environment of `up` in a home of its own; without REDIS_URL when `ownRedis`. */
function upEnv(ctx: CaseContext, ownRedis: boolean): NodeJS.ProcessEnv {
  const { REDIS_URL, ...rest } = ctx.env;
  const home = mkdtempSync(join(ctx.dir, 'up-home-'));
  return { ...(ownRedis ? rest : { ...rest, REDIS_URL }), RDC_HOME: home };
}

async function savePorts(ctx: CaseContext): Promise<void> {
  ctx.saved.redisPort = String(await freePort());
  ctx.saved.dashboardPort = String(await freePort());
}

export const serverCases: CaseTable = [
  [
    {
      name: 'up --exit --port --no-dashboard (its own redis-server)',
      before: savePorts,
      args: (ctx) => ['up', '--exit', '--port', ctx.saved.redisPort!, '--no-dashboard'],
      env: (ctx) => upEnv(ctx, true),
      code: 0,
      stdout: /redis {4}127\.0\.0\.1:\d+ \(local redis-server[\s\S]*queued 5 tasks/,
      timeoutMs: 90_000,
    },
    usage('up with a bad port', () => ['up', '--port', 'high'], /--port.*must be a whole number/),
    usage(
      'dashboard start with a bad port',
      () => ['dashboard', 'start', '--port', '-1'],
      /--port.*must be from 0 to 65535/,
    ),
  ],
  [
    {
      name: 'up --exit --dashboard-port (the Redis of REDIS_URL)',
      before: savePorts,
      args: (ctx) => ['up', '--exit', '--dashboard-port', ctx.saved.dashboardPort!],
      env: (ctx) => upEnv(ctx, false),
      code: 0,
      stdout: /\(from REDIS_URL\)[\s\S]*console {2}http:\/\/127\.0\.0\.1:\d+/,
      timeoutMs: 90_000,
    },
    {
      name: 'dashboard start --port --host, until SIGTERM',
      args: () => ['dashboard', 'start', '--port', '0', '--host', '127.0.0.1'],
      code: 0,
      until: /dashboard listening on http:\/\/127\.0\.0\.1:\d+\//,
    },
    {
      name: 'dashboard start --keys-dir (the alert engine sends for the teams whose key is there), until SIGTERM',
      args: (ctx) => ['dashboard', 'start', '--port', '0', '--keys-dir', ctx.dir],
      code: 0,
      until: /dashboard listening on http:\/\/127\.0\.0\.1:\d+\//,
    },
    {
      name: 'dashboard start --no-alerts, until SIGTERM',
      args: () => ['dashboard', 'start', '--port', '0', '--no-alerts'],
      code: 0,
      until: /dashboard listening on http:\/\/127\.0\.0\.1:\d+\//,
    },
  ],
];
