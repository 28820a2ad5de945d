// Bull Board under /queues, one board for every team's lanes, shown per request to the tokens that may see them:
// a team token sees its team's queues, a fleet token every team's. Roles are enforced server-side in Bull Board's
// `before` hook against board-policy.ts (readOnlyMode is per queue, not per viewer, so it only hides buttons:
// viewers get it in the queue list so their UI offers no actions). What reaches the browser is scrubbed: job data
// through Bull Board's formatter (sealed vault data replaced), and what no formatter covers in the `after` hook
// (stack traces dropped, job logs withheld). Every mutation is audited in the queue's team as `dashboard:<token id>`.
import { createBullBoard } from '@bull-board/api';
import type { BaseAdapter } from '@bull-board/api/baseAdapter';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import {
  type AuditAction,
  type AuditInput,
  type DashboardPrincipal,
  LANE_QUEUES,
  LANES,
  roleAtLeast,
} from '@rediacc/core';
import { retryRefusal } from '@rediacc/producer';
import { appendAudit, listTeams, openTeamQueue } from '@rediacc/queue';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { principalOfHeaders } from './auth.js';
import { registerBoardPage } from './board-page.js';
import { policyOf } from './board-policy.js';

import { scrubBoardBody, sealedJobData } from './board-scrub.js';

export const BOARD_PATH = '/queues';

/** How often a request may make the board look for teams created since it last looked. */
const TEAM_REFRESH_MS = 5_000;

interface BoardQueue {
  team: string;
  queue: Queue;
  adapter: BaseAdapter;
}

export async function registerBoard(app: FastifyInstance, redis: Redis): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  registerBoardPage(app, BOARD_PATH);
  const queues = new Map<string, BoardQueue>();
  const board = createBullBoard({
    queues: [],
    serverAdapter,
    options: {
      uiConfig: { boardTitle: 'rediacc queues' },
      handlerHooks: {
        before: async ({ method, route, request }) => {
          const principal = principalOfHeaders(request.headers);
          if (!principal) return { allow: false, status: 403, message: 'no principal on this request' };
          const queueName = request.params.queueName as string | undefined;
          const team = queueName === undefined ? undefined : queues.get(queueName)?.team;
          const refusal =
            refusalOf(principal, method, route, team) ??
            (await retryGuard(route, queueName === undefined ? undefined : queues.get(queueName), request.params));
          if (refusal === undefined) return { allow: true };
          const audit = policyOf(method, route)?.audit;
          // A refused mutation is audited in the team it aimed at, if the token may see that team at all.
          if (audit && team !== undefined && maySee(principal, team)) {
            await appendAudit(redis, auditOf(principal, audit, team, request.params, 'denied'));
          }
          return refusal;
        },
        after: async ({ method, route, request }, result) => {
          const principal = principalOfHeaders(request.headers);
          const scrubbed = scrubBoardBody(route, result, principal?.role === 'viewer');
          const audit = policyOf(method, route)?.audit;
          const queueName = request.params.queueName as string | undefined;
          const team = queueName === undefined ? undefined : queues.get(queueName)?.team;
          if (principal && audit && team !== undefined && (result.status ?? 200) < 400) {
            await appendAudit(redis, auditOf(principal, audit, team, request.params, 'ok'));
          }
          return scrubbed;
        },
      },
    },
  });

  let lastRefresh = 0;
  const refreshTeams = async () => {
    if (Date.now() - lastRefresh < TEAM_REFRESH_MS) return;
    lastRefresh = Date.now();
    for (const { name: team } of await listTeams(redis)) {
      for (const lane of LANES) {
        const name = `${team}:${LANE_QUEUES[lane]}`;
        if (queues.has(name)) continue;
        const queue = openTeamQueue(redis, team, lane);
        const adapter = new BullMQAdapter(queue, {
          prefix: `${team}:`,
          delimiter: ':',
          displayName: `${team} ${lane}`,
        });
        adapter.setFormatter('data', sealedJobData);
        adapter.setVisibilityGuard((request) => maySee(principalOfHeaders(request.headers), team));
        queues.set(name, { team, queue, adapter });
        board.addQueue(adapter);
      }
    }
  };

  await app.register(async (scope) => {
    scope.addHook('onRequest', refreshTeams);
    await scope.register(serverAdapter.registerPlugin(), { prefix: BOARD_PATH });
  });
  app.addHook('onClose', async () => {
    await Promise.allSettled([...queues.values()].map(({ queue }) => queue.close()));
  });
}

/** Whether a token may see a team's queues: its own team, or every team for a fleet token. */
function maySee(principal: DashboardPrincipal | undefined, team: string): boolean {
  return principal !== undefined && (principal.team === undefined || principal.team === team);
}

type Refusal = { allow: false; status: 403; message: string };

const forbidden = (message: string): Refusal => ({ allow: false, status: 403, message: `RDC_FORBIDDEN: ${message}` });

/** A job retry the board refuses whoever asks (the SDK's rule, tasks.retry). */
async function retryGuard(
  route: string,
  target: BoardQueue | undefined,
  params: Record<string, unknown>,
): Promise<Refusal | undefined> {
  if (route !== '/api/queues/:queueName/:jobId/retry' || !target || typeof params.jobId !== 'string') return undefined;
  const reason = await retryRefusal(target.queue, params.jobId);
  return reason === undefined ? undefined : forbidden(reason);
}

/** Why `principal` may not call this board route (for a queue of `team`), or undefined when it may. */
function refusalOf(
  principal: DashboardPrincipal,
  method: string,
  route: string,
  team: string | undefined,
): Refusal | undefined {
  const policy = policyOf(method, route);
  const who = `token ${principal.id} (${principal.role}${principal.team ? ` of team ${principal.team}` : ''})`;
  if (!policy) return forbidden(`the dashboard allows nobody ${method.toUpperCase()} ${route}`);
  if (policy.fleetOnly && principal.team !== undefined) return forbidden(`${who} may not read fleet-wide ${route}`);
  if (team !== undefined && !maySee(principal, team)) return forbidden(`${who} may not see team ${team}`);
  if (!roleAtLeast(principal.role, policy.role)) {
    return forbidden(`${who} may not ${method.toUpperCase()} ${route}: it needs ${policy.role}`);
  }
  return undefined;
}

function auditOf(
  principal: DashboardPrincipal,
  action: AuditAction,
  team: string,
  params: Record<string, unknown>,
  outcome: 'ok' | 'denied',
): AuditInput {
  const queueName = String(params.queueName);
  const target = typeof params.jobId === 'string' ? params.jobId : queueName;
  return {
    actor: `dashboard:${principal.id}`,
    team,
    action,
    target,
    outcome,
    detail: {
      queue: queueName,
      role: principal.role,
      ...(typeof params.queueStatus === 'string' && { status: params.queueStatus }),
    },
  };
}
