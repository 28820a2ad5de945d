// The console's front page (for now: who you are, a link to Bull Board, logout) and /api/whoami, the smallest
// authenticated API route. Both sit behind the auth hook like everything else.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { homePage } from './pages.js';

export function registerHome(app: FastifyInstance): void {
  app.get('/', async (request, reply) => {
    const principal = principalOf(request);
    const csrf = request.dashboardSession?.csrf;
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(homePage({ principal, csrf }));
  });

  app.get('/api/whoami', async (request) => {
    const principal = principalOf(request);
    return {
      id: principal.id,
      role: principal.role,
      team: principal.team ?? null,
      expiresAt: principal.expiresAt ?? null,
    };
  });
}

function principalOf(request: FastifyRequest) {
  if (!request.principal) throw new Error('the auth hook let an unauthenticated request through');
  return request.principal;
}
