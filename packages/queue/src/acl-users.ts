// Redis ACL users per team and role (rules in @rediacc/core acl-rules.ts), plus the fleet admin `rdc-admin`.
// Applying is one ACL SETUSER per user, so a user never holds half of its old and half of its new rules. A user
// that exists keeps its passwords unless new ones are asked for (its bridges keep running), and the user the
// caller is connected as never gets a new password: the URL the admin used keeps working.
import { randomBytes } from 'node:crypto';
import {
  aclRules,
  aclUserName,
  FLEET_ADMIN_USER,
  fleetAdminRules,
  formatRedisTarget,
  parseRedisTarget,
  ROLES,
  type Role,
} from '@rediacc/core';
import type { Redis } from 'ioredis';
import { asAccessDenied, whoAmI } from './access.js';
import { auditWriter, resolveActor, sendAudit } from './audit-log.js';
import { everyNode } from './connection.js';

/** `team` is "*" for the fleet admin. */
export interface AclUser {
  team: string;
  role: Role;
  user: string;
  /** REDIS_URL of the user; carries the password only when one was issued now. */
  url: string;
  /** Whether a password was generated now (new user, or newPasswords); otherwise the old ones still hold. */
  newPassword: boolean;
}

export interface AclApplyResult {
  users: AclUser[];
  /** Whether ACL SAVE wrote the users to the server's ACL file; false when it has none (in memory only). */
  saved: boolean;
  /** The user this connection runs as (left able to log in with the URL it was given). */
  appliedBy: string | undefined;
  /** Why the acl.apply audit entries could not be appended, if they could not. */
  auditError?: string;
}

interface Planned {
  team: string;
  role: Role;
  user: string;
  rules: string[];
}

function planned(teams: readonly string[]): Planned[] {
  return [
    { team: '*', role: 'admin', user: FLEET_ADMIN_USER, rules: fleetAdminRules() },
    ...teams.flatMap((team) =>
      ROLES.map((role) => ({ team, role, user: aclUserName(team, role), rules: aclRules(team, role) })),
    ),
  ];
}

function urlFor(baseUrl: string, user: string, password: string | undefined): string {
  const target = parseRedisTarget(baseUrl);
  if (target.kind !== 'url') {
    const { password: _, ...rest } = target;
    return formatRedisTarget({ ...rest, username: user, ...(password !== undefined && { password }) });
  }
  const url = new URL(baseUrl);
  url.username = user;
  url.password = password ?? '';
  return url.toString().replace(/\/$/, '');
}

/** Creates or updates the users of `teams` (and the fleet admin) and returns their URLs. */
export async function applyAcl(
  redis: Redis,
  options: { teams: readonly string[]; baseUrl: string; newPasswords?: boolean; actor?: string },
): Promise<AclApplyResult> {
  const me = await whoAmI(redis);
  const users: AclUser[] = [];
  try {
    for (const plan of planned(options.teams)) {
      const exists = (await redis.call('ACL', 'GETUSER', plan.user)) !== null;
      const issue = (!exists || options.newPasswords === true) && plan.user !== me;
      const password = issue ? randomBytes(32).toString('hex') : undefined;
      // `reset` drops passwords too; without a new password only permissions are replaced.
      const head = password
        ? ['reset', 'resetchannels', 'on', `>${password}`]
        : ['resetkeys', 'resetchannels', '-@all', 'clearselectors', 'on'];
      // ACL users are per server: on a Cluster, every node gets them (each master and replica).
      for (const node of everyNode(redis)) await node.call('ACL', 'SETUSER', plan.user, ...head, ...plan.rules);
      users.push({
        team: plan.team,
        role: plan.role,
        user: plan.user,
        url: plan.user === me ? options.baseUrl : urlFor(options.baseUrl, plan.user, password),
        newPassword: password !== undefined,
      });
    }
  } catch (error) {
    throw await asAccessDenied(error, redis, { action: 'change Redis ACL users (acl apply needs an admin REDIS_URL)' });
  }
  const actor = await resolveActor(redis, options.actor);
  const writer = await auditWriter(redis);
  const audit = sendAudit(
    redis,
    writer,
    users
      .filter((u) => u.team !== '*')
      .map((user) => ({
        actor,
        team: user.team,
        action: 'acl.apply' as const,
        target: user.user,
        outcome: 'ok' as const,
        detail: { role: user.role, newPassword: user.newPassword },
      })),
  );
  // The users are changed already: a failed audit append is reported, not thrown (the new passwords would be lost).
  const auditError = (await audit).find(([error]) => error)?.[0]?.message;
  const saved = await Promise.all(everyNode(redis).map((node) => node.call('ACL', 'SAVE'))).then(
    () => true,
    () => false,
  );
  return { users, saved, appliedBy: me, ...(auditError !== undefined && { auditError }) };
}

export interface AclShowEntry {
  team: string;
  role: Role;
  user: string;
  /** Whether the server has this user. */
  applied: boolean;
  /** The server's rules for the user (password hashes hidden), or the rules `acl apply` would set. */
  rules: string;
}

/** The rules of every rediacc user of `teams`, as the server holds them, or as acl apply would set them. */
export async function showAcl(redis: Redis, teams: readonly string[]): Promise<AclShowEntry[]> {
  let lines: string[];
  try {
    lines = (await redis.call('ACL', 'LIST')) as string[];
  } catch (error) {
    throw await asAccessDenied(error, redis, { action: 'read Redis ACL users' });
  }
  const byUser = new Map(
    lines.map((line) => {
      const [, user = '', ...rest] = line.split(' ');
      return [user, rest.join(' ').replace(/#[0-9a-f]{64}/g, '#<password-hash>')] as const;
    }),
  );
  return planned(teams).map((plan) => {
    const server = byUser.get(plan.user);
    return {
      team: plan.team,
      role: plan.role,
      user: plan.user,
      applied: server !== undefined,
      rules: server ?? plan.rules.join(' '),
    };
  });
}
