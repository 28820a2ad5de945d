// The console's changes: cancel a task (the CLI's cancel) and retry a failed one (the SDK's retry rule). POST only,
// so the auth hook's CSRF check covers cookie sessions; operators and admins only. The SDK audits each with the
// token's id as actor (actor-clients.ts); a refused attempt on a team the token may see is audited as denied.
import type { DashboardPrincipal } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { appendAudit } from '@rediacc/queue';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { principalOf, requireRole } from './access.js';
import type { ActorClients } from './actor-clients.js';
import { visibleTask } from './task-view.js';

/** How long a cancel waits for a running command to stop before answering "requested". */
const CANCEL_WAIT_MS = 5_000;

type Action = 'cancel' | 'retry';

export function registerActionRoutes(
  app: FastifyInstance,
  client: RediaccClient,
  redis: Redis,
  actors: ActorClients,
): void {
  const guard = async (principal: DashboardPrincipal, taskId: string, action: Action) => {
    const view = await visibleTask(client, principal, taskId);
    try {
      requireRole(principal, 'operator', `${action} tasks`);
    } catch (error) {
      await appendAudit(redis, {
        actor: `dashboard:${principal.id}`,
        team: view.team,
        action: `task.${action}`,
        target: view.taskId,
        outcome: 'denied',
        detail: { role: principal.role },
      });
      throw error;
    }
    return view;
  };

  app.post<{ Params: { taskId: string } }>('/api/tasks/:taskId/cancel', async (request) => {
    const principal = principalOf(request);
    const view = await guard(principal, request.params.taskId, 'cancel');
    const [result] = await actors.of(principal).tasks.cancel([view.taskId], { waitMs: CANCEL_WAIT_MS });
    return result;
  });

  app.post<{ Params: { taskId: string } }>('/api/tasks/:taskId/retry', async (request) => {
    const principal = principalOf(request);
    const view = await guard(principal, request.params.taskId, 'retry');
    return actors.of(principal).tasks.retry(view.taskId);
  });
}
