// The task routes that read: the filtered listing (task-search.ts) and one task with how long its command
// usually runs.
import type { RediaccClient } from '@rediacc/producer';
import { usualDurationMs } from '@rediacc/queue';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { principalOf } from './access.js';
import { searchTasks } from './task-search.js';
import { consoleView, visibleTask } from './task-view.js';

export function registerTaskRoutes(app: FastifyInstance, client: RediaccClient, redis: Redis): void {
  app.get('/api/tasks', async (request) => searchTasks(client, principalOf(request), request.query));

  app.get<{ Params: { taskId: string } }>('/api/tasks/:taskId', async (request) => {
    const view = await visibleTask(client, principalOf(request), request.params.taskId);
    return { ...consoleView(view), usualDurationMs: await usualDurationMs(redis, view.team, view.command) };
  });
}
