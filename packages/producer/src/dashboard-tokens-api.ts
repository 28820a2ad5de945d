// The tokens that open the web console (@rediacc/dashboard): created, listed and revoked here, stored hashed by
// the queue package. The client's actor is who the audit log names.
import { type DashboardPrincipal, dashboardRoleSchema, parseInput, teamNameSchema } from '@rediacc/core';
import {
  createDashboardToken,
  listDashboardTokens,
  type NewDashboardToken,
  revokeDashboardToken,
} from '@rediacc/queue';
import type { Redis } from 'ioredis';

export class DashboardTokens {
  constructor(
    private readonly redis: Redis,
    private readonly actor: string | undefined,
  ) {}

  /** A new token: its text (shown this once, never stored) and its record (without the hash). */
  async create(input: Omit<NewDashboardToken, 'createdBy'>): Promise<{ token: string; record: DashboardPrincipal }> {
    parseInput(dashboardRoleSchema, input.role, 'token role');
    if (input.team !== undefined) parseInput(teamNameSchema, input.team, 'team name');
    const { token, record } = await createDashboardToken(this.redis, { ...input, createdBy: this.actor });
    const { hash: _hash, ...principal } = record;
    return { token, record: principal };
  }

  /** Every token (ids, roles, teams, expiry; never the tokens themselves). */
  list(): Promise<DashboardPrincipal[]> {
    return listDashboardTokens(this.redis);
  }

  /** Revokes a token; its login sessions end with it. RDC_TOKEN_UNKNOWN when no token has that id. */
  revoke(id: string): Promise<DashboardPrincipal> {
    return revokeDashboardToken(this.redis, id, this.actor);
  }
}
