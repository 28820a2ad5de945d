// The smallest authenticated API routes: /api/whoami (who you are) and /api/counts (the task counts of each team
// you may see, from the producer SDK's counts, cheap at any queue size). The console pages are console-pages.ts.
import type { DashboardPrincipal } from '@rediacc/core';
import type { QueueCounts, RediaccClient } from '@rediacc/producer';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export function registerHome(app: FastifyInstance, client: RediaccClient): void {
  app.get('/api/whoami', async (request) => {
    const principal = principalOf(request);
    return {
      id: principal.id,
      role: principal.role,
      team: principal.team ?? null,
      expiresAt: principal.expiresAt ?? null,
    };
  });

  app.get('/api/counts', async (request) => ({ teams: await teamCounts(client, principalOf(request)) }));
}

/** Counts of every team the token may see (its own, or all of them for a fleet token), by team name. */
async function teamCounts(client: RediaccClient, principal: DashboardPrincipal): Promise<QueueCounts[]> {
  const teams = (await client.teams.list()).map((team) => team.name);
  const visible = principal.team === undefined ? teams : teams.filter((team) => team === principal.team);
  return Promise.all(visible.map((team) => client.tasks.counts(team)));
}

function principalOf(request: FastifyRequest): DashboardPrincipal {
  if (!request.principal) throw new Error('the auth hook let an unauthenticated request through');
  return request.principal;
}
