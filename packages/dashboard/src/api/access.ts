// Who is asking and what they may see, for every console API route: a token limited to one team sees that team
// only (a route naming another answers 403 RDC_FORBIDDEN), a fleet token every team; changes need an operator.
import { type DashboardPrincipal, type DashboardRole, RdcError, roleAtLeast } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import type { FastifyRequest } from 'fastify';

export function principalOf(request: FastifyRequest): DashboardPrincipal {
  if (!request.principal) throw new Error('the auth hook let an unauthenticated request through');
  return request.principal;
}

export function maySee(principal: DashboardPrincipal, team: string): boolean {
  return principal.team === undefined || principal.team === team;
}

function who(principal: DashboardPrincipal): string {
  return `token ${principal.id} (${principal.role}${principal.team ? ` of team ${principal.team}` : ''})`;
}

/** Throws RDC_FORBIDDEN unless the token may see `team`. */
export function requireTeam(principal: DashboardPrincipal, team: string): void {
  if (!maySee(principal, team)) throw new RdcError('RDC_FORBIDDEN', `${who(principal)} may not see team ${team}`);
}

/** Throws RDC_FORBIDDEN unless the token's role is at least `role`. */
export function requireRole(principal: DashboardPrincipal, role: DashboardRole, what: string): void {
  if (!roleAtLeast(principal.role, role)) {
    throw new RdcError('RDC_FORBIDDEN', `${who(principal)} may not ${what}: it needs ${role}`);
  }
}

/** The teams a request covers: the one it names (if the token may see it), else every team the token may see. */
export async function teamsOf(
  client: RediaccClient,
  principal: DashboardPrincipal,
  named: string | undefined,
): Promise<string[]> {
  if (named !== undefined) {
    requireTeam(principal, named);
    return [named];
  }
  if (principal.team !== undefined) return [principal.team];
  return (await client.teams.list()).map((team) => team.name);
}
