// The console's JSON API under /api (overview, tasks, output, cancel and retry; the live event stream), behind the
// auth hook like every route. The contract the console's pages use is in docs/architecture.md.
import type { RediaccClient } from '@rediacc/producer';
import { TeamQueues } from '@rediacc/queue';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { registerActionRoutes } from './actions.js';
import { ActorClients } from './actor-clients.js';
import { TaskEventHub } from './event-hub.js';
import { registerEventsRoute } from './events.js';
import { registerOutputRoutes } from './output.js';
import { registerOverviewRoute } from './overview.js';
import { registerTaskRoutes } from './tasks.js';

export { statusOf } from './http-status.js';

export function registerConsoleApi(app: FastifyInstance, client: RediaccClient, redis: Redis): void {
  const queues = new TeamQueues(redis);
  const actors = new ActorClients(redis);
  const hub = new TaskEventHub(redis, app.log);
  app.addHook('onClose', async () => {
    await Promise.allSettled([hub.close(), queues.close(), actors.close()]);
  });
  const overview = { client, redis, queues };
  registerOverviewRoute(app, overview);
  registerTaskRoutes(app, client, redis);
  registerOutputRoutes(app, client, redis);
  registerActionRoutes(app, client, redis, actors);
  registerEventsRoute(app, { client, redis, overview, hub });
}
