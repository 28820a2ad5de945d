// One pair of BullMQ QueueEvents per team (one per lane), shared by every event stream of this dashboard process:
// opened when the first page of a team connects, closed with the app. Each QueueEvents starts at the end its lane's
// stream had when it opened, so no change after that is missed; listeners get every task change of the team.
import { LANE_QUEUES, LANES, type Lane, teamPrefix } from '@rediacc/core';
import { duplicateRedis, laneEventsAfter, lastLaneEventId } from '@rediacc/queue';
import { QueueEvents } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { eventArgs, statusOfEvent, type TaskChange } from './task-events.js';

export type ChangeListener = (change: TaskChange) => void;

/** The BullMQ events that change what the console shows of a task. */
const EVENTS = ['added', 'waiting', 'delayed', 'stalled', 'active', 'progress', 'completed', 'failed', 'removed'];
/** Events replayed at most per lane for a page that reconnects; an older gap is covered by the overview. */
const REPLAY_LIMIT = 5_000;
const REPLAY_PAGE = 500;

interface LaneEvents {
  events: QueueEvents;
  connection: Redis;
}

export class TaskEventHub {
  private readonly teams = new Map<string, Promise<LaneEvents[]>>();
  private readonly listeners = new Map<string, Set<ChangeListener>>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Calls `listener` with every task change of `team` from now on; returns the unsubscribe. */
  async subscribe(team: string, listener: ChangeListener): Promise<() => void> {
    if (this.closing) throw new Error('the event hub is closed');
    let set = this.listeners.get(team);
    if (!set) {
      set = new Set();
      this.listeners.set(team, set);
    }
    set.add(listener);
    await this.open(team);
    return () => set.delete(listener);
  }

  /** The changes of `team`'s lane after stream id `afterId` (at most REPLAY_LIMIT), oldest first. */
  async replay(team: string, lane: Lane, afterId: string): Promise<TaskChange[]> {
    const changes: TaskChange[] = [];
    let after = afterId;
    for (let read = 0; read < REPLAY_LIMIT; read += REPLAY_PAGE) {
      const entries = await laneEventsAfter(this.redis, team, lane, after, REPLAY_PAGE);
      for (const [streamId, fields] of entries) {
        const { event, ...args } = eventArgs(fields);
        const change = changeOf(team, lane, String(event), args, streamId);
        if (change) changes.push(change);
      }
      if (entries.length < REPLAY_PAGE) break;
      after = entries[entries.length - 1]![0];
    }
    return changes;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const opened = await Promise.allSettled(this.teams.values());
      this.teams.clear();
      this.listeners.clear();
      const lanes = opened.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
      await Promise.allSettled(lanes.map(({ events }) => events.close()));
      // QueueEvents duplicates the connection it is given and leaves the given one open: ours to quit.
      await Promise.allSettled(lanes.map(({ connection }) => connection.quit().catch(() => connection.disconnect())));
    })();
    return this.closing;
  }

  private open(team: string): Promise<LaneEvents[]> {
    let opened = this.teams.get(team);
    if (!opened) {
      opened = Promise.all(LANES.map((lane) => this.openLane(team, lane)));
      this.teams.set(team, opened);
    }
    return opened;
  }

  private async openLane(team: string, lane: Lane): Promise<LaneEvents> {
    const lastEventId = await lastLaneEventId(this.redis, team, lane);
    const connection = duplicateRedis(this.redis, { maxRetriesPerRequest: null, enableOfflineQueue: true });
    connection.on('error', () => {});
    const events = new QueueEvents(LANE_QUEUES[lane], {
      connection,
      prefix: teamPrefix(team),
      autorun: true,
      lastEventId,
    });
    events.on('error', (error) => this.log.warn({ err: error, team, lane }, 'queue events failed; retrying'));
    for (const name of EVENTS) {
      events.on(name as 'added', (args: unknown, streamId: string) => {
        const change = changeOf(team, lane, name, (args ?? {}) as Record<string, unknown>, streamId);
        if (!change) return;
        for (const listener of this.listeners.get(team) ?? []) listener(change);
      });
    }
    return { events, connection };
  }
}

function changeOf(
  team: string,
  lane: Lane,
  event: string,
  args: Record<string, unknown>,
  streamId: string,
): TaskChange | undefined {
  const status = statusOfEvent(event, args);
  const taskId = args.jobId;
  if (status === undefined || typeof taskId !== 'string') return undefined;
  return { team, lane, streamId, taskId, status };
}
