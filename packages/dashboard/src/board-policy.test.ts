import { appRoutes, buildHistoryRoutes } from '@bull-board/api/dist/routes.js';
import { describe, expect, it } from 'vitest';
import { BOARD_POLICY, policyOf } from './board-policy.js';

/** Every API route of the installed Bull Board, as `method route`. */
const boardRoutes = [
  ...appRoutes.api,
  ...buildHistoryRoutes({} as never, { hasUsage: true, canPurge: true } as never),
].flatMap((r) => {
  const methods = Array.isArray(r.method) ? r.method : [r.method];
  const routes = Array.isArray(r.route) ? r.route : [r.route];
  return methods.flatMap((m) => routes.map((route) => `${m.toLowerCase()} ${route}`));
});

describe('the board policy', () => {
  it('names only routes the installed Bull Board has (a renamed route would silently lose its rule)', () => {
    for (const key of Object.keys(BOARD_POLICY)) expect(boardRoutes, key).toContain(key);
  });

  it('lets viewers read and nothing else', () => {
    for (const [key, policy] of Object.entries(BOARD_POLICY)) {
      if (policy.role === 'viewer') expect(key, key).toMatch(/^get /);
      else expect(policy.audit, `${key} changes something: it must be audited`).toBeDefined();
    }
  });

  it('refuses everyone the routes that add, edit or reach past a team', () => {
    for (const key of [
      'post /api/queues/:queueName/add',
      'patch /api/queues/:queueName/:jobId/update-data',
      'patch /api/queues/:queueName/:jobId/priority',
      'patch /api/queues/:queueName/:jobId/delay',
      'put /api/queues/:queueName/obliterate',
      'put /api/queues/pause',
      'put /api/queues/resume',
      'get /api/queues/:queueName/:jobId/flow',
      'get /api/job-schedulers',
      'get /api/metrics/history',
      'post /api/metrics/history/purge',
    ]) {
      expect(boardRoutes, key).toContain(key);
      const [method = '', route = ''] = key.split(' ');
      expect(policyOf(method, route), key).toBeUndefined();
    }
  });
});
