// Finding a task by id among the teams this user may read. Under team ACLs an id that is not in the user's team
// may still exist in a team it may not search: that is an access refusal, not an unknown task.
import { RdcError } from '@rediacc/core';
import { describeUser, listTeams, locateTask, readableTeams, type TaskLocation, whoAmI } from '@rediacc/queue';
import type { Redis } from 'ioredis';

/**
 * Which team and lane hold `taskId`, among the teams this user may read: EXISTS per team and lane, in parallel.
 * Not found while some teams could not be searched: RDC_ACCESS_DENIED, since the task may be in one of them.
 */
export async function locateReadable(
  redis: Redis,
  taskId: string,
  verb: 'read' | 'cancel' | 'retry',
): Promise<TaskLocation | undefined> {
  const teams = (await listTeams(redis)).map((t) => t.name);
  const readable = await readableTeams(redis, teams);
  const where = await locateTask(redis, readable, taskId);
  const hidden = teams.filter((t) => !readable.includes(t));
  if (where || hidden.length === 0) return where;
  const user = describeUser(await whoAmI(redis));
  const searched = readable.length > 0 ? `team ${readable.join(', ')}` : 'no team';
  throw new RdcError(
    'RDC_ACCESS_DENIED',
    `${user} may not ${verb} task ${taskId}: it is not in ${searched}, and this user may not read team ${hidden.join(', ')}, where it may be`,
  );
}
