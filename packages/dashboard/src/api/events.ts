// GET /api/events: the console's one live stream per page (Server-Sent Events). `task` events for every state
// change of a task of the teams the page shows (from the shared QueueEvents of event-hub.ts), with an `id:` that
// resumes a reconnect after the last change it saw (Last-Event-ID); `overview` on connect, then at most once a
// second while tasks change and at least every 10 s; with `task=ID`, that task's `output` as it arrives and `end`
// once it finished; a `: ping` comment every 15 s so proxies keep the stream. A token holds at most 20 streams;
// everything a stream holds is released when the client goes away or the app closes.
import { type DashboardPrincipal, LANES, parseInput, RdcError, taskIdSchema, teamNameSchema } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { lastLaneEventId } from '@rediacc/queue';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { principalOf, teamsOf } from './access.js';
import type { TaskEventHub } from './event-hub.js';
import { followOutput, type OutputFollow } from './output-follow.js';
import { buildOverview, type OverviewDeps } from './overview.js';
import { sharedReads } from './shared-reads.js';
import { SseStream } from './sse-stream.js';
import {
  compareStreamIds,
  decodePositions,
  encodePositions,
  type Positions,
  positionKey,
  type TaskChange,
} from './task-events.js';
import { visibleTask } from './task-view.js';

export const STREAMS_PER_TOKEN = 20;
const PING_MS = 15_000;
const OVERVIEW_MIN_MS = 1_000;
const OVERVIEW_MAX_MS = 10_000;

const blankIsAbsent = (value: unknown) => (value === '' ? undefined : value);
const eventsQuerySchema = z.object({
  team: z.preprocess(blankIsAbsent, teamNameSchema.optional()),
  task: z.preprocess(blankIsAbsent, taskIdSchema.optional()),
});

export interface EventsDeps {
  client: RediaccClient;
  redis: Redis;
  overview: OverviewDeps;
  hub: TaskEventHub;
}

export function registerEventsRoute(app: FastifyInstance, deps: EventsDeps): void {
  const perToken = new Map<string, number>();
  const closers = new Set<() => void>();
  // Overviews shared by the streams of one scope for a second, so many open pages cost one read per second.
  const scopes = new Map<string, { principal: DashboardPrincipal; teams: readonly string[] }>();
  const sharedOverview = sharedReads(OVERVIEW_MIN_MS, async (key) => {
    const scope = scopes.get(key);
    if (!scope) throw new Error(`no overview scope ${key}`);
    return buildOverview(deps.overview, scope.principal, scope.teams);
  });
  const overviews = (principal: DashboardPrincipal, teams: readonly string[], freshAfter: number) => {
    const key = `${principal.team ?? '*'}|${teams.join(',')}`;
    scopes.set(key, { principal, teams });
    return sharedOverview(key, freshAfter);
  };
  // Open streams would keep the server from closing: end them first.
  app.addHook('preClose', async () => {
    for (const close of [...closers]) close();
  });

  app.get('/api/events', async (request, reply) => {
    const principal = principalOf(request);
    const query = parseInput(eventsQuerySchema, request.query, 'events query');
    const teams = await teamsOf(deps.client, principal, query.team);
    const task = query.task === undefined ? undefined : await visibleTask(deps.client, principal, query.task);
    const held = perToken.get(principal.id) ?? 0;
    if (held >= STREAMS_PER_TOKEN) {
      throw new RdcError(
        'RDC_STREAM_LIMIT',
        `token ${principal.id} already holds ${held} live streams, the most one token may hold`,
      );
    }
    perToken.set(principal.id, held + 1);
    reply.hijack();
    const stream = new SseStream(reply.raw);
    const timers: NodeJS.Timeout[] = [];
    const unsubscribes: Array<() => void> = [];
    let follow: OutputFollow | undefined;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      closers.delete(close);
      for (const timer of timers) clearInterval(timer);
      for (const unsubscribe of unsubscribes) unsubscribe();
      follow?.stop();
      perToken.set(principal.id, (perToken.get(principal.id) ?? 1) - 1);
      if ((perToken.get(principal.id) ?? 0) <= 0) perToken.delete(principal.id);
      stream.end();
    };
    closers.add(close);
    reply.raw.on('close', close);

    try {
      const positions: Positions = new Map();
      let changed = false;
      let changedAt = 0;
      let lastOverview = 0;
      const pushOverview = async () => {
        lastOverview = Date.now();
        changed = false;
        // Never an overview read that began before the last change this stream saw: it would not show it.
        const body = await overviews(principal, teams, changedAt);
        stream.send('overview', body, encodePositions(positions));
      };
      const deliver = (change: TaskChange) => {
        const key = positionKey(change.team, change.lane);
        const at = positions.get(key);
        if (at !== undefined && compareStreamIds(change.streamId, at) <= 0) return;
        positions.set(key, change.streamId);
        changed = true;
        changedAt = Date.now();
        const { taskId, team, status } = change;
        stream.send('task', { taskId, team, status }, encodePositions(positions));
      };
      // Live changes wait while a reconnecting page is brought up to date, then go out after the replayed ones.
      const waiting: TaskChange[] = [];
      let replaying = true;
      const onChange = (change: TaskChange) => (replaying ? waiting.push(change) : deliver(change));
      for (const team of teams) unsubscribes.push(await deps.hub.subscribe(team, onChange));
      const resumed = decodePositions(lastEventIdOf(request), teams);
      for (const team of teams) {
        for (const lane of LANES) {
          const key = positionKey(team, lane);
          positions.set(key, resumed.get(key) ?? (await lastLaneEventId(deps.redis, team, lane)));
        }
      }
      for (const [key, after] of resumed) {
        const [team = '', lane] = key.split('/') as [string, (typeof LANES)[number]];
        for (const change of await deps.hub.replay(team, lane, after)) deliver(change);
      }
      replaying = false;
      for (const change of waiting.splice(0)) deliver(change);
      if (closed) return;

      await pushOverview();
      timers.push(setInterval(() => stream.comment('ping'), PING_MS));
      timers.push(
        setInterval(() => {
          const since = Date.now() - lastOverview;
          if ((changed && since >= OVERVIEW_MIN_MS) || since >= OVERVIEW_MAX_MS) {
            pushOverview().catch((error: unknown) => failed(request, error, close));
          }
        }, OVERVIEW_MIN_MS),
      );
      if (task) {
        follow = followOutput(deps.client, deps.redis, task, stream);
        follow.done.catch((error: unknown) => failed(request, error, close));
      }
    } catch (error) {
      failed(request, error, close);
    }
  });
}

function lastEventIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id'];
  return Array.isArray(header) ? header[0] : header;
}

/** A stream that broke after its headers went out cannot answer with an error: log it and close. */
function failed(request: FastifyRequest, error: unknown, close: () => void): void {
  request.log.error({ err: error }, 'event stream failed');
  close();
}
