// Waiting for tasks to finish: BullMQ QueueEvents (one per team and lane, opened on first use) wake the
// waiter at once; a slow poll backs it up, since the event stream is capped and a reconnect can miss events.
import { LANE_QUEUES, type Lane, RdcError, type TaskView, teamPrefix } from '@rediacc/core';
import { duplicateRedis, type TaskLocation } from '@rediacc/queue';
import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';

const POLL_MS = 1_000;

export class TaskWaiter {
  private readonly events = new Map<string, Promise<QueueEvents>>();
  private readonly connections: Redis[] = [];

  constructor(private readonly redis: Redis) {}

  /**
   * Calls `check` until it returns a view: at once, on every finish event of `taskId` in the lane that
   * holds it, and every second. A task with no lane (a cancel tombstone) is already finished: no events.
   */
  async wait(
    where: TaskLocation,
    taskId: string,
    timeoutMs: number | undefined,
    check: () => Promise<TaskView | undefined>,
  ): Promise<TaskView> {
    const events = where.lane ? await this.eventsFor(where.team, where.lane) : undefined;
    return new Promise<TaskView>((resolve, reject) => {
      let done = false;
      let running = false;
      const finish = (error: unknown, view?: TaskView) => {
        if (done) return;
        done = true;
        events?.off('completed', onEvent);
        events?.off('failed', onEvent);
        clearInterval(poll);
        if (timer) clearTimeout(timer);
        if (view) resolve(view);
        else reject(error);
      };
      const run = () => {
        if (done || running) return;
        running = true;
        check()
          .then((view) => {
            running = false;
            if (view) finish(undefined, view);
          })
          .catch((error: unknown) => finish(error));
      };
      const onEvent = ({ jobId }: { jobId: string }) => {
        if (jobId === taskId) run();
      };
      events?.on('completed', onEvent);
      events?.on('failed', onEvent);
      const poll = setInterval(run, POLL_MS);
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(
              () =>
                finish(
                  new RdcError('RDC_TIMEOUT', `task ${taskId} did not finish within ${timeoutMs / 1000}s of waiting`),
                ),
              timeoutMs,
            );
      run();
    });
  }

  async close(): Promise<void> {
    const all = [...this.events.values()];
    this.events.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
    // QueueEvents duplicates a client it is given and leaves the given one open: ours to quit, or the process
    // never exits (and reconnects forever once Redis is gone).
    const connections = this.connections.splice(0);
    await Promise.allSettled(connections.map((c) => c.quit().catch(() => c.disconnect())));
  }

  private eventsFor(team: string, lane: Lane): Promise<QueueEvents> {
    const key = `${lane}/${team}`;
    let events = this.events.get(key);
    if (!events) {
      const connection = duplicateRedis(this.redis, { maxRetriesPerRequest: null, enableOfflineQueue: true });
      connection.on('error', () => {});
      this.connections.push(connection);
      const qe = new QueueEvents(LANE_QUEUES[lane], { connection, prefix: teamPrefix(team), autorun: true });
      qe.on('error', () => {});
      qe.setMaxListeners(0); // one listener pair per waiting task
      events = qe.waitUntilReady().then(() => qe);
      this.events.set(key, events);
    }
    return events;
  }
}
