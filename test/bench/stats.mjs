// Summaries of repeated measurements: median, min, max and percentiles, and the monotonic clock every timing uses.

/** Monotonic milliseconds (CLOCK_MONOTONIC via hrtime), the clock the machine-side helper also reads. */
export function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Milliseconds `fn` took, and what it returned. */
export async function timed(fn) {
  const start = nowMs();
  const value = await fn();
  return { ms: nowMs() - start, value };
}

export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest-rank: p99 of 50 samples is the largest but none, p50 the middle one.
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summary(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns something other than undefined; throws naming `what` after `timeoutMs`. */
export async function until(what, probe, timeoutMs = 120_000, intervalMs = 10) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(intervalMs);
  }
}
