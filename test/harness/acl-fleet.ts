// Two teams (A and B by default) with one machine each, and the Redis ACL users `acl apply` makes for them: what
// the ACL and audit tests share. Clients and connections opened as a team user close with the harness.
import type { Role } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import { type AclUser, applyAcl } from '@rediacc/queue';
import { Redis } from 'ioredis';
import { addTeamWithMachine } from './fleet.js';
import type { Harness, TestMachine } from './harness.js';

export interface AclFleet {
  redisUrl: string;
  /** A client on the default (all-powerful) user. */
  admin: RediaccClient;
  /** A plain connection on the default user, for looking at what Redis holds. */
  raw: Redis;
  machine: TestMachine;
  users: AclUser[];
  /** The teams' vault keys, which every bridge needs. */
  teamKeys: Record<string, string>;
  urlOf(team: string, role: Role): string;
  clientAs(team: string, role: Role, actor?: string): RediaccClient;
  connectionAs(team: string, role: Role): Redis;
}

export async function aclFleet(h: Harness, teams: readonly string[] = ['A', 'B']): Promise<AclFleet> {
  const redisUrl = (await h.redis()).url;
  const machine = await h.machine();
  const admin = createClient({ redis: redisUrl });
  h.own(() => admin.close());
  const raw = new Redis(redisUrl);
  h.own(() => raw.quit().then(() => {}));
  const teamKeys: Record<string, string> = {};
  for (const team of teams) Object.assign(teamKeys, await addTeamWithMachine(admin, team, machine));
  const { users } = await applyAcl(admin.redis, { teams: [...teams], baseUrl: redisUrl });
  const urlOf = (team: string, role: Role): string => {
    const user = users.find((u) => u.team === team && u.role === role);
    if (!user) throw new Error(`no user for ${team}/${role}`);
    return user.url;
  };
  return {
    redisUrl,
    admin,
    raw,
    machine,
    users,
    teamKeys,
    urlOf,
    clientAs(team, role, actor) {
      const client = createClient({ redis: urlOf(team, role), ...(actor && { actor }) });
      h.own(() => client.close());
      return client;
    },
    connectionAs(team, role) {
      const redis = new Redis(urlOf(team, role), { maxRetriesPerRequest: null });
      redis.on('error', () => {});
      h.own(() => redis.quit().then(() => {}));
      return redis;
    },
  };
}
