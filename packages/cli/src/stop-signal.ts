// The stop of a command that serves until a signal (bridge start, dashboard start). Listen before starting: a
// SIGTERM that comes while the server starts, or right after it said it started, is then a clean stop, not
// Node's default (the process killed by the signal, nothing closed).

/** Resolves with the first SIGTERM or SIGINT from now on. */
export function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve(signal);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
