// What Bull Board may show of a job. Its data formatter covers `data` only; a job's stack traces, logs and the
// queue list's read-only flags pass through the `after` hook here. Redis holds no plaintext secret (vault data is
// sealed to the team key, outputs and failure reasons are masked by the bridge), so this is defence in depth:
// the sealed blob is useless in a browser, stack traces are bridge internals, and job logs are free text that no
// rediacc code writes and nothing masks.

/** Job data as the board shows it: the sealed vault blob replaced by a marker; its shape and secret names stay. */
export function sealedJobData(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  const { vault, ...rest } = data as Record<string, unknown>;
  return vault === undefined ? rest : { ...rest, vault: '[sealed]' };
}

interface BoardResult {
  status?: number;
  body: unknown;
}

/** The body of a board API answer as it may leave the server (for a viewer, with every queue read-only). */
export function scrubBoardBody<R extends BoardResult>(route: string, result: R, viewer: boolean): R {
  if (route === '/api/queues/:queueName/:jobId/logs' && (result.status ?? 200) < 400) return { ...result, body: [] };
  const body = result.body;
  if (body === null || typeof body !== 'object') return result;
  const record = body as Record<string, unknown>;
  if (isObject(record.job)) record.job = withoutStack(record.job);
  if (Array.isArray(record.queues)) {
    record.queues = record.queues.map((queue: unknown) => {
      if (!isObject(queue)) return queue;
      const jobs = Array.isArray(queue.jobs)
        ? queue.jobs.map((job) => (isObject(job) ? withoutStack(job) : job))
        : queue.jobs;
      // Completed tasks are never retried from the board (the SDK's retry rule): no one gets the button.
      return viewer
        ? { ...queue, jobs, readOnlyMode: true, allowRetries: false, allowCompletedRetries: false }
        : { ...queue, jobs, allowCompletedRetries: false };
    });
  }
  return result;
}

function withoutStack(job: Record<string, unknown>): Record<string, unknown> {
  return { ...job, stacktrace: [] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
