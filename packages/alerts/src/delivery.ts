// Deliveries: one BullMQ job per (alert message, webhook) in the team's `alert-deliveries` queue. The job id is
// derived from the alert id, its state and the webhook id, so engines that enqueue the same message make one job;
// BullMQ retries a failed POST with exponential backoff. The job holds the alert and the webhook's id, never a
// secret nor URL: the worker reads the webhook when it sends, opens its sealed URL (some services carry a credential
// in it) and secret with the team's key, and keeps both out of logs and error texts.
// An engine sends only the deliveries of teams whose key it holds (a bridge holds all of its teams' keys; a
// dashboard those it finds): the others stay queued for an engine that can open them.
import {
  ALERT_DELIVERY_QUEUE,
  type AlertEvent,
  isPlaintextWebhook,
  type Logger,
  open,
  type StoredWebhook,
  teamPrefix,
} from '@rediacc/core';
import { getWebhook, webhooksFor } from '@rediacc/queue';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from './signature.js';

export interface DeliveryOptions {
  /** Tries per delivery, the first included. */
  attempts: number;
  /** First retry delay (ms); doubles with each retry. */
  backoffMs: number;
  /** How long a receiver may take to answer (ms). */
  timeoutMs: number;
  /** Deliveries in flight per team on this engine. */
  concurrency: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = { attempts: 10, backoffMs: 5_000, timeoutMs: 10_000, concurrency: 4 };

export interface DeliveryJobData {
  event: AlertEvent;
  webhookId: string;
}

export class Deliveries {
  private readonly queues = new Map<string, Queue<DeliveryJobData>>();
  private readonly workers: Worker<DeliveryJobData>[] = [];

  constructor(
    private readonly redis: Redis,
    teams: readonly string[],
    private readonly teamKeys: ReadonlyMap<string, string>,
    private readonly options: DeliveryOptions,
    private readonly logger: Logger,
  ) {
    for (const team of teams) {
      const queue = new Queue<DeliveryJobData>(ALERT_DELIVERY_QUEUE, { connection: redis, prefix: teamPrefix(team) });
      queue.on('error', (error) => logger.warn({ team, err: error.message }, 'alert delivery queue error'));
      this.queues.set(team, queue);
      if (!teamKeys.has(team)) continue;
      const worker = new Worker<DeliveryJobData>(ALERT_DELIVERY_QUEUE, (job) => this.deliver(job), {
        connection: redis,
        prefix: teamPrefix(team),
        concurrency: options.concurrency,
      });
      worker.on('error', (error) => logger.warn({ team, err: error.message }, 'alert delivery worker error'));
      worker.on('failed', (job, error) =>
        logger.warn(
          {
            team,
            alert: job?.data.event.id,
            webhook: job?.data.webhookId,
            attempt: job?.attemptsMade,
            err: error.message,
          },
          'alert delivery failed',
        ),
      );
      this.workers.push(worker);
    }
  }

  /** Queues one delivery of `event` per webhook of its team (and of every team); how many. */
  async enqueue(event: AlertEvent): Promise<number> {
    const queue = this.queues.get(event.team);
    if (!queue) throw new Error(`alert engine does not serve team ${event.team}`);
    const hooks = (await webhooksFor(this.redis, event.team)).filter((hook) => this.deliverable(hook, event.team));
    if (hooks.length === 0) return 0;
    await queue.addBulk(
      hooks.map((hook) => ({
        name: event.kind,
        data: { event, webhookId: hook.id },
        opts: {
          jobId: `${event.id}.${event.state}.${hook.id}`,
          attempts: this.options.attempts,
          backoff: { type: 'exponential', delay: this.options.backoffMs },
          // Kept a day: an engine enqueueing the same message later finds the job and adds nothing.
          removeOnComplete: { age: 86_400, count: 10_000 },
          removeOnFail: { age: 7 * 86_400, count: 10_000 },
        },
      })),
    );
    return hooks.length;
  }

  /** A webhook this team's alerts can go to: its URL sealed for the team (not plaintext from an older version). */
  private deliverable(hook: StoredWebhook, team: string): boolean {
    if (isPlaintextWebhook(hook)) {
      this.logger.warn(
        { team, webhook: hook.id },
        'webhook skipped: it was stored with its URL in plaintext by an older version; run `rediacc alert webhook list` as an admin to seal it',
      );
      return false;
    }
    if (hook.sealedUrls[team] !== undefined) return true;
    this.logger.warn(
      { team, webhook: hook.id },
      'webhook of every team skipped: the team was created after it, so its URL is not sealed for the team; remove and add it again',
    );
    return false;
  }

  private async deliver(job: Job<DeliveryJobData>): Promise<{ status: number } | { skipped: string }> {
    const { event, webhookId } = job.data;
    const hook = await getWebhook(this.redis, event.team, webhookId);
    if (!hook) return { skipped: 'webhook removed' };
    if (isPlaintextWebhook(hook))
      return { skipped: 'webhook URL stored in plaintext; seal it with `alert webhook list`' };
    const key = this.teamKeys.get(event.team);
    if (!key)
      throw new UnrecoverableError(`RDC_TEAM_KEY: no vault key of team ${event.team} to open webhook ${hook.id}`);
    const sealedUrl = hook.sealedUrls[event.team];
    if (sealedUrl === undefined) return { skipped: `webhook URL not sealed for team ${event.team}` };
    const body = JSON.stringify(event);
    const timestamp = Date.now();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'rediacc-alerts',
      [EVENT_ID_HEADER]: event.id,
      [TIMESTAMP_HEADER]: String(timestamp),
    };
    if (hook.sealedSecret !== null) {
      headers[SIGNATURE_HEADER] = signBody(open(hook.sealedSecret, key), timestamp, body);
    }
    // The URL stays out of the error text: some services put a credential in it.
    const response = await fetch(open(sealedUrl, key), {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.options.timeoutMs),
    }).catch((error: Error) => {
      const cause = (error.cause as { code?: string } | undefined)?.code;
      throw new Error(`webhook ${hook.id} unreachable: ${cause ?? error.name}`);
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`webhook ${hook.id} answered HTTP ${response.status}`);
    return { status: response.status };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
