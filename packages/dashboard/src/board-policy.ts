// What each role may do through Bull Board, route by route. A route this table does not list is refused for
// everyone, so a Bull Board upgrade that adds routes exposes nothing until someone reviews them here. Never
// allowed: adding or editing jobs (tasks are created through the SDK, which validates and seals them), changing
// priorities or delays, obliterating queues, schedulers, flows (their bodies bypass the data formatter), retrying
// a whole status at once (it would re-run cancelled and run-lost tasks; single retries are checked by the SDK's rule, tasks.retry),
// and the cross-queue actions (pause/resume all, metrics history) that would reach teams a token may not see.
import type { AuditAction, DashboardRole } from '@rediacc/core';

export interface RoutePolicy {
  /** The weakest role that may call the route. */
  role: DashboardRole;
  /** The audit action of a mutation; reads are not audited. */
  audit?: AuditAction;
  /** Only tokens of every team (fleet tokens) may call it: it reports on Redis as a whole. */
  fleetOnly?: boolean;
}

export const BOARD_POLICY: Readonly<Record<string, RoutePolicy>> = {
  'get /api/queues': { role: 'viewer' },
  'get /api/redis/stats': { role: 'viewer', fleetOnly: true },
  'get /api/queues/:queueName/:jobId': { role: 'viewer' },
  'get /api/queues/:queueName/:jobId/logs': { role: 'viewer' },
  'get /api/queues/:queueName/metrics': { role: 'viewer' },
  'get /api/queues/:queueName/workers': { role: 'viewer' },
  'get /api/queues/:queueName/default-job-options': { role: 'viewer' },
  'get /api/queues/:queueName/rate-limit': { role: 'viewer' },
  'get /api/queues/:queueName/job-data-schema': { role: 'viewer' },
  'put /api/queues/:queueName/:jobId/retry': { role: 'operator', audit: 'task.retry' },
  'put /api/queues/:queueName/:jobId/promote': { role: 'operator', audit: 'task.promote' },
  'put /api/queues/:queueName/promote': { role: 'operator', audit: 'queue.promote' },
  'put /api/queues/:queueName/:jobId/clean': { role: 'admin', audit: 'task.remove' },
  'put /api/queues/:queueName/clean/:queueStatus': { role: 'admin', audit: 'queue.clean' },
  'put /api/queues/:queueName/pause': { role: 'admin', audit: 'queue.pause' },
  'put /api/queues/:queueName/resume': { role: 'admin', audit: 'queue.resume' },
  'put /api/queues/:queueName/empty': { role: 'admin', audit: 'queue.empty' },
};

export function policyOf(method: string, route: string): RoutePolicy | undefined {
  return BOARD_POLICY[`${method.toLowerCase()} ${route}`];
}
