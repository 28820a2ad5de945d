// Redis ACL users per team and role, as the SDK applies and shows them (rules in @rediacc/core acl-rules.ts).
// Named teams must exist; without names, every team.
import { parseInput, teamNameSchema } from '@rediacc/core';
import { type AclApplyResult, type AclShowEntry, applyAcl, getTeam, listTeams, showAcl } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const aclApplyOptionsSchema = z
  .object({
    /** Only these teams (default: every team). */
    teams: z.array(teamNameSchema).optional(),
    /** Issue new passwords to users that exist (their old URLs stop working). */
    newPasswords: z.boolean().optional(),
  })
  .strict();

export type AclApplyOptions = z.infer<typeof aclApplyOptionsSchema>;

const aclShowOptionsSchema = aclApplyOptionsSchema.pick({ teams: true });

export class Acl {
  constructor(
    private readonly redis: Redis,
    /** The client's REDIS_URL: the users' URLs are this one with their name and password. */
    private readonly baseUrl: string,
    private readonly actor: string | undefined,
  ) {}

  /**
   * Creates or updates the ACL users of each team and role (and the fleet admin) and returns their REDIS_URLs;
   * existing users keep their passwords unless `newPasswords`. Needs an admin connection.
   */
  async apply(options: AclApplyOptions = {}): Promise<AclApplyResult> {
    const { teams, newPasswords } = parseInput(aclApplyOptionsSchema, options, 'acl apply options');
    return applyAcl(this.redis, {
      teams: await this.teamsOf(teams),
      baseUrl: this.baseUrl,
      newPasswords: newPasswords === true,
      ...(this.actor !== undefined && { actor: this.actor }),
    });
  }

  /** The rules of every user of the teams (default: every team): as the server holds them, or as apply would set them. */
  async show(options: { teams?: string[] } = {}): Promise<AclShowEntry[]> {
    const { teams } = parseInput(aclShowOptionsSchema, options, 'acl show options');
    return showAcl(this.redis, await this.teamsOf(teams));
  }

  /** The named teams (each must exist: RDC_TEAM_UNKNOWN names the first that does not), or every team. */
  private async teamsOf(named: string[] | undefined): Promise<string[]> {
    const all = (await listTeams(this.redis)).map((t) => t.name);
    if (!named) return all;
    const unknown = named.filter((t) => !all.includes(t));
    if (unknown.length > 0) await getTeam(this.redis, unknown[0]!);
    return named;
  }
}
