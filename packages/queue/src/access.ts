// Redis ACL refusals as users should read them. Redis says NOPERM (or, for a command inside a Lua script,
// "ERR The user executing the script can't …") without naming the user or the key; ioredis keeps the refused
// command on the error, so we can name the team whose key it touched, and ACL WHOAMI names the user.
import { parseAclUserName, RdcError, registryKeys, teamOfKey } from '@rediacc/core';
import type { Redis } from 'ioredis';

const REFUSAL = /^NOPERM\b|^ERR The user executing the script can't|^ERR .*no permissions to/;

/** Whether Redis refused a command because of the connection's ACL user (in a MULTI: any queued command). */
export function isAccessRefusal(error: unknown): boolean {
  return refusal(error) !== undefined;
}

/** The refusal itself: the error, or the queued command's error that made a MULTI's EXEC abort. */
function refusal(error: unknown): Error | undefined {
  if (!(error instanceof Error)) return undefined;
  if (REFUSAL.test(error.message)) return error;
  const previous = (error as { previousErrors?: unknown }).previousErrors;
  return Array.isArray(previous) ? previous.map(refusal).find(Boolean) : undefined;
}

/** The command and (when its arguments name one) the team of a refused command. */
export function refusedCommand(error: unknown): { command: string | undefined; team: string | undefined } {
  const command = (refusal(error) as { command?: { name?: unknown; args?: unknown } } | undefined)?.command;
  const name = typeof command?.name === 'string' ? command.name.toUpperCase() : undefined;
  const args = Array.isArray(command?.args) ? command.args : [];
  const team = args.map((arg) => (typeof arg === 'string' ? teamOfKey(arg) : undefined)).find(Boolean);
  return { command: name, team };
}

/** The connection's ACL user name, or undefined when Redis will not say (ACL WHOAMI refused or unknown). */
export async function whoAmI(redis: Redis): Promise<string | undefined> {
  try {
    const user = await redis.call('ACL', 'WHOAMI');
    return typeof user === 'string' ? user : undefined;
  } catch {
    return undefined;
  }
}

/** "user rdc-A-operator (operator of team A)", or as much of it as is known. */
export function describeUser(user: string | undefined): string {
  if (!user) return 'this Redis user';
  const parsed = parseAclUserName(user);
  return parsed ? `user ${user} (${parsed.role} of team ${parsed.team})` : `user ${user}`;
}

/**
 * The one mapping of a Redis ACL refusal (NOPERM) to RDC_ACCESS_DENIED, used by the SDK, the bridge and the CLI:
 * names the connection's user (ACL WHOAMI, asked only on a refusal), what it tried (`action`, for example "create
 * tasks") and the team. Any other error passes through unchanged.
 */
export async function asAccessDenied(
  error: unknown,
  redis: Redis,
  context: { action: string; team?: string | undefined },
): Promise<unknown> {
  if (!isAccessRefusal(error)) return error;
  return accessDenied(error, { user: await whoAmI(redis), ...context });
}

/**
 * RDC_ACCESS_DENIED for an ACL refusal: who was refused, what they tried (`action`, for example "create tasks"),
 * in which team, and the command Redis refused. Any other error passes through unchanged.
 */
export function accessDenied(
  error: unknown,
  context: { user: string | undefined; action: string; team?: string | undefined },
): unknown {
  if (!isAccessRefusal(error)) return error;
  const refused = refusedCommand(error);
  const team = context.team ?? refused.team;
  const where = team ? ` in team ${team}` : '';
  const reason = refusal(error)?.message.split('\n')[0];
  const what = refused.command ? ` (Redis refused ${refused.command}: ${reason})` : '';
  return new RdcError('RDC_ACCESS_DENIED', `${describeUser(context.user)} may not ${context.action}${where}${what}`, {
    cause: error,
  });
}

/**
 * The teams of `teams` whose keys this connection may read, so listings default to "every team I can read". A
 * rediacc team user (rdc-TEAM-ROLE) reads its own team; any other user is probed with one EXISTS per
 * team (so hand-written ACLs work too; their refusals do show in ACL LOG).
 */
export async function readableTeams(redis: Redis, teams: readonly string[]): Promise<string[]> {
  if (teams.length === 0) return [];
  const own = parseAclUserName((await whoAmI(redis)) ?? '');
  if (own) return teams.filter((team) => team === own.team);
  // One command per team (sent together): teams' keys may sit on different Cluster shards, a pipeline may not span them.
  const replies = await Promise.all(
    teams.map((team) =>
      redis.exists(registryKeys.machines(team)).then(
        () => undefined,
        (error: unknown) => error,
      ),
    ),
  );
  return teams.filter((_, i) => {
    const error = replies[i];
    if (error && !isAccessRefusal(error)) throw error;
    return !error;
  });
}
