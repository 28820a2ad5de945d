// Redis ACL rules per team and role: what `rediacc acl apply` gives each user. Team isolation rests on key
// patterns: every key of a team starts with `rdc:{TEAM}:` (team names cannot hold glob characters or `}`, so
// `rdc:{A}:*` never matches team `AB`). Commands are an explicit allowlist taken from what BullMQ's Lua scripts,
// ioredis and our own code call (checked against the server in test/integration/acl.test.ts): no categories, since
// @read alone brings SCAN and RANDOMKEY, which list every team's key names.
//
// Two Redis 7 facts shape the rules:
//   - EVAL/EVALSHA declare their keys as read-write, so a read-only (`%R~`) pattern cannot run BullMQ's read
//     scripts (getState, getCounts, getRanges). The viewer gets EVAL/EVALSHA in a selector with `~` on its team;
//     commands inside a script are checked against the user again, and the viewer's only write command is XADD
//     (on the audit stream, in another selector), so a script cannot write anything else either.
//   - Permissions of one selector do not add up with another's: a user's audit stream is writable only through a
//     selector that grants XADD alone, so operators, viewers and bridges can append but not DEL/XDEL/XTRIM it.
//     Each user may append to its own stream only (`rdc:{TEAM}:audit:USER`), so the stream proves who wrote an
//     entry, and XADD's MAXLEN argument (a trim no ACL can forbid) can cut nobody's entries but the user's own.
import { z } from 'zod';
import {
  ALERT_DELIVERY_QUEUE,
  FLEET_WEBHOOKS_KEY,
  LANE_QUEUES,
  registryKeys,
  SCHEDULE_QUEUE,
  teamPrefix,
} from './keys.js';
import { NAME_PATTERN } from './names.js';

export const ROLES = ['admin', 'operator', 'viewer', 'bridge'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES, { error: `role must be one of ${ROLES.join(', ')}` });

/** The fleet-wide admin user `acl apply` also keeps: every key and command, for team create and acl apply. */
export const FLEET_ADMIN_USER = 'rdc-admin';

/** `rdc-TEAM-ROLE`: the role is the last segment (roles hold no '-'), so no two pairs share a name. */
export function aclUserName(team: string, role: Role): string {
  return `rdc-${team}-${role}`;
}

/** The team and role of a user named by aclUserName, or undefined for any other user. */
export function parseAclUserName(user: string): { team: string; role: Role } | undefined {
  const match = /^rdc-(.+)-([a-z]+)$/.exec(user);
  if (!match?.[1] || !match[2]) return undefined;
  const role = roleSchema.safeParse(match[2]);
  if (!role.success || !NAME_PATTERN.test(match[1])) return undefined;
  return { team: match[1], role: role.data };
}

/** Every connection: ioredis' handshake and ready check (and slot map on a Cluster), BullMQ's version check, naming, and who am I. */
const CONNECTION = [
  'ping',
  'echo',
  'auth',
  'hello',
  'quit',
  'select',
  'info',
  'time',
  'client|setname',
  'client|getname',
  'client|id',
  'acl|whoami',
  // On a Redis Cluster, ioredis reads the slot map and checks the cluster is up (no key, no data).
  'cluster|slots',
  'cluster|info',
];

/** Reads of our code and of BullMQ's getters and scripts (all key-scoped). */
const READ = [
  'get',
  'mget',
  'exists',
  'type',
  'ttl',
  'pttl',
  'hget',
  'hmget',
  'hgetall',
  'hexists',
  'hlen',
  'hscan',
  'lrange',
  'lindex',
  'llen',
  'lpos',
  'zscore',
  'zrange',
  'zrangebyscore',
  'zrevrange',
  'zrevrangebyscore',
  'zrangebylex',
  'zlexcount',
  'zcard',
  'zcount',
  'zrank',
  'smembers',
  'scard',
  'sismember',
  'sscan',
  'xrange',
  'xrevrange',
  'xread',
  'xlen',
  'xinfo|stream',
];

const SCRIPTS = ['evalsha', 'eval', 'evalsha_ro', 'eval_ro'];

/** Writes BullMQ's producer and worker scripts make, our tombstones, cancel flags, output and slot leases. */
const WRITE = [
  'set',
  'del',
  'unlink',
  'incr',
  'incrby',
  'hset',
  'hmset',
  'hsetnx',
  'hdel',
  'hincrby',
  'lpush',
  'rpush',
  'lpop',
  'rpop',
  'rpoplpush',
  'lrem',
  'lset',
  'ltrim',
  'zadd',
  'zrem',
  'zremrangebyscore',
  'zremrangebyrank',
  'zpopmin',
  'sadd',
  'srem',
  'xadd',
  'xtrim',
  'xdel',
  'expire',
  'pexpire',
  'pexpireat',
  'rename',
  'multi',
  'exec',
  'discard',
];

/** What a bridge needs on top: BullMQ's blocking fetch and the cancel broadcast. */
const CONSUME = ['bzpopmin', 'subscribe', 'unsubscribe'];

/** The alert engine's consumer group on a team's alerts stream (read once, acknowledged, dead readers' claimed). */
const ALERTING = ['xgroup|create', 'xreadgroup', 'xack', 'xautoclaim'];

function allow(commands: readonly string[]): string[] {
  return commands.map((c) => `+${c}`);
}

/** A selector: no channels unless given (a new selector gets acl-pubsub-default, which may be allchannels). */
function selector(rules: readonly string[]): string {
  return `(resetchannels ${rules.join(' ')})`;
}

/**
 * The ACL SETUSER rules of `role` in `team`, without the user's on/off state and passwords. Applying them after
 * `resetkeys resetchannels -@all clearselectors` gives the user exactly these permissions. `resetchannels` is
 * always explicit: `reset` and new selectors start from acl-pubsub-default, which a server may set to allchannels.
 */
export function aclRules(team: string, role: Role): string[] {
  if (!NAME_PATTERN.test(team)) throw new Error(`aclRules: invalid team name ${JSON.stringify(team)}`);
  // Every pattern is built from the key layout (keys.ts): a renamed key cannot leave its ACL behind.
  const k = registryKeys;
  const p = teamPrefix(team);
  const readAll = `%R~${p}:*`;
  const readTeams = `%R~${k.teams}`;
  const readWebhooks = `%R~${FLEET_WEBHOOKS_KEY}`;
  // Append-only audit: XADD to the user's own stream, SADD to the index of writers, nothing else.
  const user = aclUserName(team, role);
  const appendAudit = [
    selector([`~${k.auditStream(team, user)}`, '+xadd']),
    selector([`~${k.auditWriters(team)}`, '+sadd']),
  ];
  const queues = Object.values(LANE_QUEUES).map((queue) => `~${p}:${queue}:*`);
  switch (role) {
    case 'admin':
      return [
        `~${p}:*`,
        readTeams,
        readWebhooks,
        `&${p}:*`,
        ...allow([...CONNECTION, ...READ, ...SCRIPTS, ...WRITE, ...CONSUME, ...ALERTING, 'publish']),
      ];
    case 'operator':
      return [
        ...queues,
        `~${k.cancelled(team)}`,
        `~${k.cancelledOrder(team)}`,
        `~${k.cancelRequest(team, '*')}`,
        `~${k.batch(team, '*')}`,
        `~${k.batchInfo(team, '*')}`,
        // Schedules: their records and BullMQ job schedulers.
        `~${k.schedules(team)}`,
        `~${k.scheduleRuns(team)}`,
        `~${p}:${SCHEDULE_QUEUE}:*`,
        readAll,
        readTeams,
        readWebhooks,
        `&${k.cancelChannel(team)}`,
        ...allow([...CONNECTION, ...READ, ...SCRIPTS, ...WRITE, 'publish']),
        ...appendAudit,
      ];
    case 'viewer':
      return [
        readAll,
        readTeams,
        readWebhooks,
        ...allow([...CONNECTION, ...READ]),
        selector([`~${p}:*`, ...allow(SCRIPTS)]),
        ...appendAudit,
      ];
    case 'bridge':
      return [
        ...queues,
        `~${k.bridges(team)}`,
        `~${k.bridgeHeartbeat(team, '*')}`,
        `~${k.output(team, '*')}`,
        `~${k.machineSlots(team, '*')}`,
        `~${k.machineWaiters(team, '*')}`,
        // Fan-out batches: --max-parallel's slots (and the tasks parked for one) and the --stop-on-failure flag.
        `~${k.batchSlots(team, '*')}`,
        `~${k.batchWaiters(team, '*')}`,
        `~${k.batchStop(team, '*')}`,
        `~${k.machineStatus(team)}`,
        `~${k.alerts(team)}`,
        // The alert engine every bridge runs: its delivery queue, firing state and the alert log.
        `~${p}:${ALERT_DELIVERY_QUEUE}:*`,
        `~${k.alertState(team)}`,
        `~${k.alertSince(team)}`,
        `~${k.alertLog(team)}`,
        // Schedule runs (upkeep.ts): the trigger jobs and the last run of each schedule; the archiver's keys.
        `~${p}:${SCHEDULE_QUEUE}:*`,
        `~${k.scheduleRuns(team)}`,
        `~${k.archive(team)}`,
        `~${k.archiveMarks(team)}`,
        `~${k.archiveLease(team)}`,
        readAll,
        readTeams,
        readWebhooks,
        `&${k.cancelChannel(team)}`,
        ...allow([...CONNECTION, ...READ, ...SCRIPTS, ...WRITE, ...CONSUME, ...ALERTING]),
        ...appendAudit,
      ];
  }
}

/** The fleet admin: everything (like the default user), so the default user can be switched off afterwards. */
export function fleetAdminRules(): string[] {
  return ['~*', '&*', '+@all'];
}
